import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { FakeBitrix } from '../support/fake-bitrix.ts';
import { traceEvents } from '../support/fixtures.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/test-store.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

// The whole path as a user runs it: recorded calls posted to the engine's API, call state and outbox rows
// committed together, then delivered by the outbox worker to Bitrix24 and to a signed webhook.

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * An originate to the outside as Asterisk reports it (ARI `POST /channels` to a PJSIP endpoint): the new
 * channel starts Down in its endpoint's context at `s`, dialled on its own (a Dial without a caller), and
 * answers; then it hangs up.
 */
function originatedOutside(id: string, dialstring: string): Record<string, unknown>[] {
  const at = (ms: number) => `2026-11-21T05:00:0${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}+0000`;
  const channel = (state: string, appName: string) => ({
    id,
    name: 'PJSIP/carrier-000000a1',
    state,
    protocol_id: '',
    caller: { name: 'Sales', number: '4930999000' },
    connected: { name: '', number: '' },
    accountcode: '',
    dialplan: { context: 'from-carrier', exten: 's', priority: 1, app_name: appName, app_data: appName === 'AppDial2' ? '(Outgoing Line)' : '' },
    creationtime: at(0),
    language: 'en',
  });
  const base = { asterisk_id: '02:fc:00:00:00:01', application: 'other-app' };
  return [
    { type: 'ChannelCreated', timestamp: at(0), channel: channel('Down', ''), ...base },
    { type: 'Dial', timestamp: at(1), peer: channel('Down', 'AppDial2'), dialstatus: '', forward: '', dialstring, ...base },
    { type: 'ChannelStateChange', timestamp: at(1500), channel: channel('Up', 'AppDial2'), ...base },
    { type: 'Dial', timestamp: at(1501), peer: channel('Up', 'AppDial2'), dialstatus: 'ANSWER', forward: '', dialstring, ...base },
    { type: 'ChannelHangupRequest', timestamp: at(4000), channel: channel('Up', 'AppDial2'), cause: 16, soft: false, ...base },
    { type: 'ChannelDestroyed', timestamp: at(4001), channel: channel('Up', ''), cause: 16, cause_txt: 'Normal Clearing', ...base },
  ];
}

describe('recorded calls → engine → Bitrix24 and signed webhooks', () => {
  const bitrix = new FakeBitrix();
  const receiver = new WebhookReceiver('whsec-engine-test-1');
  let app: App;
  let db: TestDatabase | null = null;

  beforeAll(async () => {
    await bitrix.start();
    await receiver.start();
    db = postgresUrl ? await createPostgresDatabase() : null;
    const config = loadConfig({
      env: {
        CALLFLOW_DATA_DIR: 'memory://',
        SIMULATOR: 'off',
        BITRIX_WEBHOOK_URL: bitrix.webhookUrl,
        BITRIX_USER_MAP: '200:7,100:5',
        WEBHOOK_URLS: receiver.url,
        WEBHOOK_SECRET: 'whsec-engine-test-1',
        OUTBOX_SETTLE_MS: '100',
        ...(db ? { DATABASE_URL: db.url } : {}),
      },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    app = await createApp(config, silentLogger());
    await app.start();
  });

  afterAll(async () => {
    await app?.stop();
    await bitrix.close();
    await receiver.close();
    await db?.drop();
  });

  it('registers and finishes each recorded call once, with the status its disposition gives', async () => {
    const traces: [string, string, string][] = [
      ['c_dial_answered', '1795234265.6', '200'],
      ['d1_dial_busy', '1795234271.10', '486'],
      ['d2_dial_noanswer', '1795234275.18', ''],
      ['b_unanswered_caller_hangup', '1795234256.2', ''],
    ];
    for (const [name] of traces) {
      const res = await app.server.inject({ method: 'POST', url: '/api/events', payload: { events: traceEvents(name) } });
      expect(res.statusCode, res.body).toBe(202);
    }
    await until(() => traces.every(([, id]) => bitrix.callsByExternalId(id).some((c) => c.finish !== null)));
    for (const [, id, status] of traces) {
      const calls = bitrix.callsByExternalId(id);
      expect(calls, id).toHaveLength(1);
      const call = calls[0]!;
      expect(call.register.EXTERNAL_CALL_ID).toBe(id);
      expect(String(call.register.TYPE)).toBe('2');
      if (status) expect(String(call.finish!.STATUS_CODE)).toBe(status);
      else expect(['480', '304', '603-S']).toContain(String(call.finish!.STATUS_CODE));
    }
    const answered = bitrix.callsByExternalId('1795234265.6')[0]!;
    // Bitrix's CALL_ID is kept on the call
    const detail = (await app.server.inject({ method: 'GET', url: '/api/calls/1795234265.6' })).json();
    expect(detail.crm.find((l: { sink: string }) => l.sink === 'bitrix24')?.externalCallId).toBe(answered.callId);
    expect(Number(answered.finish!.DURATION)).toBe(3); // 2,503 ms of talk, rounded
    expect(String(answered.register.PHONE_NUMBER)).toBe('5554000');
    // no finish ever went before its register
    const methods = bitrix.served().map((r) => r.method.toLowerCase());
    expect(methods.filter((m) => m.endsWith('finish'))).toHaveLength(4);
  });

  it('sends signed webhooks that verify, one per event type per call', async () => {
    await until(() => receiver.accepted().filter((w) => w.type === 'call.finished').length >= 4);
    const hooks = receiver.accepted();
    expect(hooks.every((h) => h.verification.valid)).toBe(true);
    // and independently of the project's verifier: HMAC-SHA256 of "<t>.<raw body>" with the secret
    for (const h of hooks) {
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(h.headers['callflow-signature'])) ?? [];
      expect(v1).toBe(createHmac('sha256', 'whsec-engine-test-1').update(`${t}.${h.raw}`).digest('hex'));
      expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(300);
    }
    const finishedIds = hooks.filter((h) => h.type === 'call.finished').map((h) => h.callId).sort();
    expect(finishedIds).toEqual(['1795234256.2', '1795234265.6', '1795234271.10', '1795234275.18']);
    expect(new Set(hooks.map((h) => h.id)).size).toBe(hooks.length);
    const header = String(hooks[0]!.headers['callflow-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it('lists the deliveries over the API and reports the backlog in /health', async () => {
    const list = await app.server.inject({ method: 'GET', url: '/api/deliveries?callId=1795234265.6' });
    expect(list.statusCode).toBe(200);
    const health = (await app.server.inject({ method: 'GET', url: '/health' })).json();
    expect(health.checks.crm).not.toBeNull();
    expect(health.checks.crm.dead).toBe(0);
  });

  it('registers a caller whose number has no digits (a SIP user name) with the placeholder number', async () => {
    const res = await app.server.inject({ method: 'POST', url: '/api/events', payload: { events: traceEvents('h_sipp_inbound_stasis') } });
    expect(res.statusCode, res.body).toBe(202);
    await until(() => bitrix.callsByExternalId('1795234416.249').some((c) => c.finish !== null));
    const [call, ...more] = bitrix.callsByExternalId('1795234416.249');
    expect(more).toEqual([]);
    expect(call!.register).toMatchObject({ PHONE_NUMBER: '0000000000', TYPE: 2, USER_ID: 5 });
    expect(String(call!.finish!.STATUS_CODE)).toBe('200');
  });

  it("files a call an application originated to an outside number as outbound, with the number it dialled", async () => {
    const events = originatedOutside('1795239000.1', '+4930123456@carrier');
    const res = await app.server.inject({ method: 'POST', url: '/api/events', payload: { events } });
    expect(res.statusCode, res.body).toBe(202);
    await until(() => bitrix.callsByExternalId('1795239000.1').some((c) => c.finish !== null));
    const [call] = bitrix.callsByExternalId('1795239000.1');
    expect(call!.register).toMatchObject({ TYPE: 1, PHONE_NUMBER: '+4930123456' });
    const record = (await app.server.inject({ method: 'GET', url: '/api/calls/1795239000.1' })).json();
    expect(record).toMatchObject({ direction: 'outbound', to: '+4930123456', disposition: 'answered' });
  });
});
