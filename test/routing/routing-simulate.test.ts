import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';

// "Where would this call go?" through the API: the path of a call to one of the tenant's numbers at a given
// moment with given keys, from the same flow machine live calls run, without placing a call.

const PLATFORM_KEY = 'simulate-platform-key-0123456789';
const NUMBER = '+4930555000';

describe('POST /api/routing/simulate', () => {
  let app: App;
  let tenant = '';
  let admin: Record<string, string> = {};
  let reporter: Record<string, string> = {};

  async function call(method: string, url: string, headers: Record<string, string>, payload?: unknown): Promise<LightMyRequestResponse> {
    return app.server.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  }
  async function created(url: string, body: unknown): Promise<{ id: string }> {
    const answer = await call('POST', url, admin, body);
    expect(answer.statusCode, answer.body).toBe(201);
    return answer.json();
  }
  const simulate = (body: unknown, headers = admin) => call('POST', '/api/routing/simulate', headers, body);

  beforeAll(async () => {
    const config = loadConfig({
      env: { API_KEYS: PLATFORM_KEY, CALLFLOW_DATA_DIR: 'memory://', SIMULATOR: 'off', AUTH_FAILURE_LIMIT: '0', KEY_RATE_LIMIT: '0' },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    app = await createApp(config, silentLogger());
    const platform = { 'x-api-key': PLATFORM_KEY };
    const t = await call('POST', '/api/tenants', platform, { name: 'Acme', slug: 'acme', timezone: 'Europe/Berlin' });
    tenant = t.json().id;
    expect((await call('POST', `/api/tenants/${tenant}/numbers`, platform, { number: NUMBER })).statusCode).toBe(201);
    for (const role of ['admin', 'reporter'] as const) {
      const key = await call('POST', '/api/keys', { ...platform, 'x-tenant-id': tenant }, { name: role, role });
      if (role === 'admin') admin = { 'x-api-key': key.json().key };
      else reporter = { 'x-api-key': key.json().key };
    }
    const box = await created('/api/routing/voicemail-boxes', { number: '900', name: 'Desk' });
    const e1 = await created('/api/routing/extensions', { number: '101', name: 'Ann' });
    const e2 = await created('/api/routing/extensions', { number: '102', name: 'Bob' });
    const group = await created('/api/routing/ring-groups', { name: 'Sales', strategy: 'sequential', members: [{ extensionId: e1.id }, { extensionId: e2.id }], memberTimeoutS: 10, fallback: { type: 'voicemail', id: box.id } });
    const menu = await created('/api/routing/ivr-menus', { name: 'Main', prompt: { kind: 'text', text: 'Press 2 for sales.' }, options: { '2': { type: 'ring-group', id: group.id } }, failover: { type: 'voicemail', id: box.id } });
    const hours = await created('/api/routing/schedules', {
      name: 'Office',
      weekly: [1, 2, 3, 4, 5].map((day) => ({ day, from: '09:00', to: '18:00' })),
      exceptions: [{ date: '2026-12-24', name: 'Christmas Eve', closed: true, ranges: [] }],
      open: { type: 'ivr', id: menu.id },
      closed: { type: 'voicemail', id: box.id },
    });
    const routed = await call('PUT', `/api/routing/numbers/${encodeURIComponent(NUMBER)}`, admin, { destination: { type: 'schedule', id: hours.id }, record: false });
    expect(routed.statusCode, routed.body).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('in office hours: menu, key 2, the group rings 101 then 102, and 102 answers', async () => {
    // Tuesday 10:00 in Berlin (09:00 UTC).
    const answer = await simulate({ number: NUMBER, from: '+15550001', at: '2026-12-08T09:00:00Z', digits: ['2'], answeredBy: ['102'] });
    expect(answer.statusCode, answer.body).toBe(200);
    const texts = answer.json().steps.map((s: { text: string }) => s.text);
    expect(texts).toEqual([
      'number +4930555000 → schedule Office',
      'schedule Office: open: Tue 09:00-18:00',
      'IVR Main: menu played',
      'IVR Main: pressed 2',
      'ring group Sales: ringing 101',
      'ring group Sales: ringing 102',
      'answered by 102',
    ]);
    expect(answer.json().outcome).toMatch(/102/);
  });

  it('after hours and on a dated exception: straight to voicemail', async () => {
    for (const at of ['2026-12-08T19:30:00Z', '2026-12-24T10:00:00Z']) {
      const answer = await simulate({ number: NUMBER, from: null, at, digits: [] });
      expect(answer.statusCode, answer.body).toBe(200);
      const steps = answer.json().steps as { kind: string; text: string; data: { branch?: string } }[];
      expect(steps[1]).toMatchObject({ kind: 'schedule', data: { branch: 'closed' } });
      expect(steps.map((s) => s.kind)).toContain('voicemail');
      expect(steps.map((s) => s.kind)).not.toContain('ivr-prompt');
    }
  });

  it('is open to readers, refuses a number the tenant does not own, bad keys, and too many entries', async () => {
    expect((await simulate({ number: NUMBER, at: '2026-12-08T09:00:00Z' }, reporter)).statusCode).toBe(200);
    expect((await simulate({ number: '+100000' })).statusCode).toBe(404);
    expect((await simulate({ number: NUMBER, digits: ['2; DROP TABLE'] })).statusCode).toBe(422);
    expect((await simulate({ number: NUMBER, digits: Array.from({ length: 33 }, () => '1') })).statusCode).toBe(422);
    expect((await simulate({ number: NUMBER, at: 'yesterday' })).statusCode).toBe(422);
  });
});
