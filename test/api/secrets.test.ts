import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { createLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { traceEvents } from '../support/fixtures.ts';
import { freePort } from '../support/processes.ts';
import { rawHttp } from '../support/raw-http.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/test-store.ts';

// Every secret the engine is given, and everything it writes to its log (at debug level) from start through
// refused requests, an unreachable Asterisk and Redis, and CRM and webhook deliveries that fail against
// loopback servers answering errors: no secret appears in any log line, nor in anything answered to a
// caller without a key (bodies and headers).

const S = {
  apiKey: 'secret-api-key-7Hq2xLm9',
  ariPassword: 'secret-ari-pw-Zk83nQ',
  dbPassword: 'secret-db-pw-Rt55vb',
  redisPassword: 'secret-redis-pw-Ee41gz',
  bitrixToken: 'secrethooktoken9x8c7v',
  bitrixAppToken: 'secret-bitrix-app-token-Jm2',
  clientSecret: 'secret-oauth-client-secret-Ws0',
  accessToken: 'secret-oauth-access-token-Pq7',
  refreshToken: 'secret-oauth-refresh-token-Lk3',
  hookPath: 'secret-hook-path-Aa19',
  hookQuery: 'secret-hook-query-Bb28',
  signingSecret: 'secret-signing-key-Cc37dd46ee',
} as const;

/** Bitrix24 settings both of its ways of authenticating share. */
const BITRIX_COMMON = { BITRIX_APPLICATION_TOKEN: S.bitrixAppToken, BITRIX_DEFAULT_USER_ID: '1', BITRIX_SHOW_CARD: 'never' };

const SECRETS: string[] = [
  ...Object.values(S),
  // The same secrets as they travel in headers.
  Buffer.from(`callflow:${S.ariPassword}`).toString('base64'),
  Buffer.from(`:${S.redisPassword}`).toString('base64'),
];

/** A loopback server that answers every request with an error, counting what it got. */
async function failingServer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Everything written: the engine's log lines, and whatever any library prints to the console. */
class Captured {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      this.lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  private restore: (() => void)[] = [];

  watchConsole(): void {
    for (const name of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[name];
      console[name] = (...args: unknown[]) => this.lines.push(args.map(String).join(' '));
      this.restore.push(() => (console[name] = original));
    }
  }

  stopWatching(): void {
    for (const r of this.restore.splice(0)) r();
  }
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function findSecrets(text: string): string[] {
  return SECRETS.filter((s) => text.includes(s));
}

describe('secrets stay out of logs and unauthenticated answers', () => {
  const captured = new Captured();
  const unauthenticated: string[] = [];
  let bitrix: Awaited<ReturnType<typeof failingServer>>;
  let oauth: Awaited<ReturnType<typeof failingServer>>;
  let hook: Awaited<ReturnType<typeof failingServer>>;
  let db: TestDatabase | null = null;
  const apps: App[] = [];

  beforeAll(async () => {
    captured.watchConsole();
    bitrix = await failingServer((req, res) =>
      req.url?.includes('telephony') ? json(res, 500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'down for maintenance' }) : json(res, 500, { error: 'ERROR' }),
    );
    // The portal refuses the access token, then its token endpoint fails the refresh.
    oauth = await failingServer((req, res) =>
      req.url?.startsWith('/oauth/token') ? json(res, 500, { error: 'server_error' }) : json(res, 401, { error: 'expired_token', error_description: 'The access token provided has expired.' }),
    );
    hook = await failingServer((_req, res) => json(res, 503, { error: 'busy' }));
    db = postgresUrl ? await createPostgresDatabase() : null;
  }, 60_000);

  afterAll(async () => {
    captured.stopWatching();
    for (const app of apps) await app.stop();
    await bitrix?.close();
    await oauth?.close();
    await hook?.close();
    await db?.drop();
  });

  async function start(extraEnv: Record<string, string>): Promise<{ app: App; baseUrl: string }> {
    const closedPort = await freePort();
    const dbUrl = db ? new URL(db.url) : null;
    if (dbUrl) dbUrl.password = S.dbPassword;
    const config = loadConfig({
      env: {
        API_KEYS: S.apiKey,
        ...(dbUrl ? { DATABASE_URL: dbUrl.toString() } : { CALLFLOW_DATA_DIR: 'memory://' }),
        ARI_URL: `http://127.0.0.1:${closedPort}`,
        ARI_USERNAME: 'callflow',
        ARI_PASSWORD: S.ariPassword,
        WEBHOOKS: JSON.stringify([
          { name: 'erp', url: `${hook.url}/hooks/${S.hookPath}?token=${S.hookQuery}`, secret: S.signingSecret },
          // Nothing listens here: the request itself fails, and the client library's error names the URL.
          { name: 'down', url: `http://127.0.0.1:${closedPort}/hooks/${S.hookPath}?token=${S.hookQuery}`, secret: S.signingSecret },
        ]),
        OUTBOX_SETTLE_MS: '0',
        OUTBOX_BASE_DELAY_MS: '50',
        OUTBOX_MAX_DELAY_MS: '200',
        AUTH_FAILURE_LIMIT: '0',
        ...extraEnv,
      },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    const app = await createApp(config, createLogger('debug', captured.stream));
    apps.push(app);
    const baseUrl = (await app.start()).replace('localhost', '127.0.0.1');
    return { app, baseUrl };
  }

  /** Requests without a valid key, over a real socket; their answers are kept for the check. */
  async function probeAsStranger(app: App, baseUrl: string): Promise<void> {
    const send = rawHttp(baseUrl);
    const keep = (a: { status: number; headers: unknown; body: string }) => unauthenticated.push(`${a.status} ${JSON.stringify(a.headers)} ${a.body}`);
    for (const route of app.server.routeTable) {
      const path = route.url === '*' ? '/x' : route.url.replace(/:[A-Za-z_]+/g, '1').replace(/\*$/, 'swagger-ui.css');
      for (const headers of [{}, { 'x-api-key': `${S.apiKey}x` }, { authorization: 'Bearer nope-nope-nope' }] as Record<string, string>[]) {
        keep(await send({ method: route.method, path, headers }));
      }
    }
    keep(await send({ path: `/api/calls?apiKey=${S.apiKey.slice(0, -1)}` }));
    keep(await send({ method: 'POST', path: '/api/events', headers: { 'content-type': 'text/plain' }, body: 'x' }));
    keep(await send({ path: '/api/%zz' }));
    keep(await send({ method: 'POST', path: '/integrations/bitrix24/events', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'event=ONEXTERNALCALLSTART&auth[application_token]=wrong' }));
  }

  it('through start, refused requests, an unreachable Asterisk, and failing deliveries to a Bitrix24 webhook and signed webhooks', async () => {
    const { app, baseUrl } = await start({ ...BITRIX_COMMON, BITRIX_WEBHOOK_URL: `${bitrix.url}/rest/1/${S.bitrixToken}/` });
    await until(() => app.engine.connections[0]!.reconnects > 0 || app.engine.connections[0]!.lastError !== null, 'the ARI connection to fail');
    const posted = await app.server.inject({ method: 'POST', url: '/api/events', headers: { 'x-api-key': S.apiKey }, payload: traceEvents('c_dial_answered') });
    expect(posted.statusCode).toBe(202);
    await until(() => bitrix.hits() >= 2 && hook.hits() >= 2, 'deliveries to fail twice at each target');
    await until(() => captured.lines.some((l) => l.includes('webhook:down: request failed')), 'a delivery to an unreachable webhook to fail');
    await until(async () => {
      const res = await app.server.inject({ url: '/api/deliveries', headers: { 'x-api-key': S.apiKey } });
      return (res.json() as { items: { lastError: string | null }[] }).items.filter((d) => d.lastError).length >= 2;
    }, 'failed deliveries recorded');
    await probeAsStranger(app, baseUrl);
    // The detailed health report and the delivery list are for key holders, and hold no secrets either.
    for (const url of ['/health', '/api/deliveries']) {
      const res = await app.server.inject({ url, headers: { 'x-api-key': S.apiKey } });
      expect(findSecrets(res.body), url).toEqual([]);
    }
    expect(captured.lines.some((l) => l.includes('delivery failed'))).toBe(true);
    expect(captured.lines.some((l) => l.includes('ARI events socket down'))).toBe(true);
  }, 120_000);

  it('through failing Bitrix24 OAuth deliveries and token refreshes', async () => {
    const { app, baseUrl } = await start({
      BITRIX_PORTAL: oauth.url,
      BITRIX_CLIENT_ID: 'local.callflow-test',
      BITRIX_CLIENT_SECRET: S.clientSecret,
      BITRIX_ACCESS_TOKEN: S.accessToken,
      BITRIX_REFRESH_TOKEN: S.refreshToken,
      ...BITRIX_COMMON,
      BITRIX_TOKEN_URL: `${oauth.url}/oauth/token/`,
    });
    const before = oauth.hits();
    const posted = await app.server.inject({ method: 'POST', url: '/api/events', headers: { 'x-api-key': S.apiKey }, payload: traceEvents('d1_dial_busy') });
    expect(posted.statusCode).toBe(202);
    await until(() => oauth.hits() >= before + 4, 'refused calls and failed refreshes');
    await probeAsStranger(app, baseUrl);
    for (const url of ['/health', '/api/deliveries']) {
      const res = await app.server.inject({ url, headers: { 'x-api-key': S.apiKey } });
      expect(findSecrets(res.body), url).toEqual([]);
    }
  }, 120_000);

  it('through an unreachable Redis', async () => {
    const closedPort = await freePort();
    const { app, baseUrl } = await start({ REDIS_URL: `redis://:${S.redisPassword}@127.0.0.1:${closedPort}` });
    await until(() => captured.lines.some((l) => l.includes('Redis unreachable')), 'the Redis failure to be logged');
    await probeAsStranger(app, baseUrl);
  }, 120_000);

  it('through a start that fails because the database cannot be reached', async () => {
    const url = `postgres://callflow:${S.dbPassword}@127.0.0.1:${await freePort()}/callflow`;
    const config = loadConfig({ env: { API_KEYS: S.apiKey, DATABASE_URL: url, ARI_URL: 'http://127.0.0.1:1', ARI_USERNAME: 'callflow', ARI_PASSWORD: S.ariPassword } });
    const logger = createLogger('debug', captured.stream);
    const failed = await createApp(config, logger).then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(failed).not.toBeNull();
    // As the command reports it: the message on stderr, the error with its cause in the log.
    captured.lines.push(failed!.message);
    logger.error({ err: failed }, 'start failed');
  });

  it('in none of the log lines and none of the unauthenticated answers', () => {
    expect(captured.lines.length).toBeGreaterThan(20);
    expect(unauthenticated.length).toBeGreaterThan(50);
    const inLogs = captured.lines.flatMap((line) => findSecrets(line).map((s) => `${s} in log: ${line.slice(0, 400)}`));
    const inAnswers = unauthenticated.flatMap((a) => findSecrets(a).map((s) => `${s} in answer: ${a.slice(0, 400)}`));
    expect(inLogs).toEqual([]);
    expect(inAnswers).toEqual([]);
  });
});
