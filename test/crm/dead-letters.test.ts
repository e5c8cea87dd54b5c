import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { createLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { FakeBitrix } from '../support/fake-bitrix.ts';
import { traceEvents } from '../support/fixtures.ts';
import { createPostgresDatabase, postgresUrl } from '../support/test-store.ts';
import { waitFor } from './helpers/harness.ts';

// Deliveries Bitrix24 refuses for good are not lost in silence: /health degrades and names the portal's
// reason, and one request sends every dead letter again once the cause is fixed. Through the real engine.

describe('dead letters are visible and can be sent again', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function engine(webhookUrl: string): Promise<{ app: App; log: () => string }> {
    const db = postgresUrl ? await createPostgresDatabase() : null;
    if (db) cleanups.push(() => db.drop());
    let log = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        log += String(chunk);
        done();
      },
    });
    const config = loadConfig({
      env: {
        CALLFLOW_DATA_DIR: 'memory://',
        SIMULATOR: 'off',
        BITRIX_WEBHOOK_URL: webhookUrl,
        BITRIX_USER_MAP: '200:7,100:5',
        BITRIX_RATE_PER_SECOND: '100',
        BITRIX_RATE_BURST: '100',
        OUTBOX_SETTLE_MS: '0',
        ...(db ? { DATABASE_URL: db.url } : {}),
      },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    const app = await createApp(config, createLogger('warn', sink));
    cleanups.push(() => app.stop());
    await app.start();
    return { app, log: () => log };
  }

  const health = async (app: App) => {
    const res = await app.server.inject({ method: 'GET', url: '/health' });
    return { status: res.statusCode, body: res.json() };
  };

  it('a register refused for good degrades /health with the reason; after the fix one request delivers them all', async () => {
    const fake = await new FakeBitrix({ perSecond: 100, burst: 100 }).start();
    cleanups.push(() => fake.close());
    // An employee Bitrix24 no longer knows: every register is refused, and each call's finish waits behind it.
    fake.inject(1000, { status: 400, error: 'ERROR_CORE', description: 'User is not found or is not active.' });
    const { app } = await engine(fake.webhookUrl);
    for (const trace of ['c_dial_answered', 'd1_dial_busy']) {
      const res = await app.server.inject({ method: 'POST', url: '/api/events', payload: { events: traceEvents(trace) } });
      expect(res.statusCode, res.body).toBe(202);
    }
    const degraded = await waitFor(async () => {
      const h = await health(app);
      return h.body.checks.crm?.dead > 0 && h.body.checks.crm.pending === 0 ? h : null;
    }, 'the dead letters in /health', 45_000);
    expect(degraded.status).toBe(503);
    expect(degraded.body.status).toBe('degraded');
    const dead = degraded.body.checks.crm.dead as number;
    expect(degraded.body.checks.crm.sinks).toEqual([
      expect.objectContaining({ name: 'bitrix24', dead, lastDeadError: expect.stringContaining('User is not found or is not active.') }),
    ]);
    // Nothing reached Bitrix24: each call's later changes are dead behind its refused register.
    expect(fake.calls.size).toBe(0);

    fake.clearInjections();
    const retried = await app.server.inject({ method: 'POST', url: '/api/deliveries/retry-dead?sink=bitrix24' });
    expect(retried.json()).toEqual({ retried: dead });
    await waitFor(() => ['1795234265.6', '1795234271.10'].every((id) => fake.callsByExternalId(id)[0]?.finish), 'both calls in Bitrix24', 45_000);
    // Ok as soon as nothing is dead; the last sends may still be on their way, so wait for them too.
    const healed = await waitFor(async () => {
      const h = await health(app);
      return h.body.status === 'ok' && h.body.checks.crm?.pending === 0 ? h : null;
    }, '/health to recover with nothing left to send', 45_000);
    expect(healed.body.checks.crm).toMatchObject({ dead: 0, pending: 0 });
  }, 150_000);

  it('a webhook URL that is not a Bitrix24 webhook is warned about at start and its dead letters show in /health', async () => {
    const fake = await new FakeBitrix({ perSecond: 100, burst: 100 }).start();
    cleanups.push(() => fake.close());
    const { app, log } = await engine(`${fake.origin}/crm/hook/`);
    expect(log()).toMatch(/does not look like an incoming webhook/);
    expect(log()).not.toContain(fake.origin);
    const res = await app.server.inject({ method: 'POST', url: '/api/events', payload: { events: traceEvents('c_dial_answered') } });
    expect(res.statusCode, res.body).toBe(202);
    const degraded = await waitFor(async () => {
      const h = await health(app);
      return h.body.checks.crm?.dead > 0 && h.body.checks.crm.pending === 0 ? h : null;
    }, 'the dead letters in /health', 45_000);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.checks.crm.sinks[0].lastDeadError).toMatch(/ERROR_METHOD_NOT_FOUND/);
  }, 90_000);
});
