import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startStallProxy, type StallProxy } from '../support/stall-proxy.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/test-store.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

// /health with a database that stops answering: it reports `degraded` when its checks' deadline passes,
// instead of hanging with the database, and its details (shown with a key) carry no connection string,
// password or stack. On PostgreSQL behind a proxy that stops forwarding, and on the embedded database
// held by an open transaction.

const KEY = 'health-test-key-0123456789';
const DB_PASSWORD = 'health-db-password-93jd';
const TIMEOUT_MS = 600;
/** Generous, for a busy machine: /health must answer long before this, and says why when it does. */
const CLIENT_DEADLINE_MS = 20_000;

async function health(app: App, key = true): Promise<{ status: number; body: any; text: string }> {
  const answer = app.server.inject({ url: '/health', headers: key ? { 'x-api-key': KEY } : {} });
  let timer: NodeJS.Timeout | undefined;
  const res = await Promise.race([
    answer,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`/health gave no answer in ${CLIENT_DEADLINE_MS} ms`)), CLIENT_DEADLINE_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  return { status: res.statusCode, body: res.json(), text: res.body };
}

function expectNothingInternal(text: string, secrets: string[]): void {
  for (const s of secrets) expect(text).not.toContain(s);
  expect(text).not.toMatch(/postgres(ql)?:\/\/[^[]/);
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
}

async function openApp(env: Record<string, string>): Promise<App> {
  const config = loadConfig({
    env: { API_KEYS: KEY, SIMULATOR: 'off', HEALTH_TIMEOUT_MS: String(TIMEOUT_MS), ...env },
    flags: { http: { host: '127.0.0.1', port: 0 } },
  });
  const app = await createApp(config, silentLogger());
  await app.server.ready();
  return app;
}

describe.skipIf(!postgresUrl)('/health with a frozen PostgreSQL', () => {
  let db: TestDatabase;
  let proxy: StallProxy;
  let hooks: WebhookReceiver;
  let app: App;

  beforeAll(async () => {
    db = await createPostgresDatabase();
    const target = new URL(db.url);
    proxy = await startStallProxy(target.hostname, Number(target.port || 5432));
    const through = new URL(db.url);
    through.hostname = '127.0.0.1';
    through.port = String(proxy.port);
    through.password = DB_PASSWORD;
    hooks = await new WebhookReceiver('health-webhook-secret-0123456').start();
    app = await openApp({ DATABASE_URL: through.toString(), WEBHOOK_URLS: hooks.url, WEBHOOK_SECRET: 'health-webhook-secret-0123456' });
  }, 60_000);

  afterAll(async () => {
    proxy?.resume();
    await app?.stop();
    await proxy?.close();
    await hooks?.close();
    await db?.drop();
  });

  it('answers degraded once the database stops answering, ok again when it is back', async () => {
    const ok = await health(app);
    expect(ok.status).toBe(200);
    expect(ok.body.checks.database.ok).toBe(true);
    expect(ok.body.checks.crm).not.toBeNull();

    proxy.stall();
    const frozen = await Promise.all([health(app), health(app), health(app, false)]);
    for (const answer of frozen) {
      expect(answer.status).toBe(503);
      expect(answer.body.status).toBe('degraded');
    }
    const report = frozen[0]!.body;
    expect(report.checks.database).toMatchObject({ ok: false, latencyMs: null });
    expect(report.checks.database.error).toBe(`the database gave no answer within ${TIMEOUT_MS} ms`);
    // The backlog is unknown, not empty.
    expect(report.checks.crm).toBeNull();
    expect(Object.keys(frozen[2]!.body)).toEqual(['status']);
    for (const answer of frozen) expectNothingInternal(answer.text, [DB_PASSWORD, String(proxy.port) + '/']);

    proxy.resume();
    const deadline = Date.now() + CLIENT_DEADLINE_MS;
    let again = await health(app);
    while (again.status !== 200 && Date.now() < deadline) again = await health(app);
    expect(again.body.checks.database.ok).toBe(true);
  }, 90_000);
});

describe('/health with the embedded database held by a transaction', () => {
  let app: App;
  let hooks: WebhookReceiver;

  beforeAll(async () => {
    hooks = await new WebhookReceiver('health-webhook-secret-0123456').start();
    app = await openApp({ CALLFLOW_DATA_DIR: 'memory://', WEBHOOK_URLS: hooks.url, WEBHOOK_SECRET: 'health-webhook-secret-0123456' });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await hooks?.close();
  });

  it('answers degraded while the database cannot run its query, and starts no second query meanwhile', async () => {
    expect((await health(app)).status).toBe(200);
    // Counts the pings /health starts, each still run by the real store.
    let pings = 0;
    const ping = app.store.ping.bind(app.store);
    app.store.ping = () => {
      pings++;
      return ping();
    };
    let release = (): void => {};
    const held = new Promise<void>((r) => (release = r));
    let inside = (): void => {};
    const entered = new Promise<void>((r) => (inside = r));
    // PGlite runs one thing at a time: every other query waits for this transaction.
    const holding = app.store.sql.transaction(async (tx) => {
      await tx.query('SELECT 1');
      inside();
      await held;
    });
    await entered;
    const first = await health(app);
    expect(first.status).toBe(503);
    expect(first.body.checks.database.error).toBe(`the database gave no answer within ${TIMEOUT_MS} ms`);
    expect(first.body.checks.crm).toBeNull();
    // Polling on: each answer comes, and the checks still waiting are joined rather than queued again.
    expect(pings).toBe(1);
    for (let i = 0; i < 5; i++) expect((await health(app)).status).toBe(503);
    expect(pings).toBe(1);
    release();
    await holding;
    const deadline = Date.now() + CLIENT_DEADLINE_MS;
    let again = await health(app);
    while (again.status !== 200 && Date.now() < deadline) again = await health(app);
    expect(again.status).toBe(200);
    expectNothingInternal(again.text, []);
  }, 90_000);
});
