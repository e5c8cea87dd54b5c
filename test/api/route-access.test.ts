import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import type { RouteEntry } from '../../src/api/route-table.ts';
import { loadConfig } from '../../src/config/load.ts';
import { FakeBitrix } from '../support/fake-bitrix.ts';
import { traceEvents } from '../support/fixtures.ts';
import { rawHttp, type RawAnswer, type RawRequest } from '../support/raw-http.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

// Every route the engine holds × many spellings of its path × every way of not having a key: nothing but
// a route declared public may answer a stranger with success or with data. Routes come from the server's
// own table (every route Fastify registered, plugins' included), the OpenAPI document and the dashboard's
// files, so a route added later is tried without anyone adding it here. Requests go over a real socket,
// exactly as spelled (inject() and fetch() would tidy the paths first), and through inject() as well.

const KEY = 'route-matrix-key-0123456789';
const CALL_ID = '1795234265.6';
const WEB_DIST = join(import.meta.dirname, '..', '..', 'web', 'dist');

/** Texts that only an answer carrying the engine's data contains. */
const DATA_MARKERS = [CALL_ID, 'callflow_events_total', '"openapi"', 'openapi:', '"checks"', 'eventsByType', 'idempotencyKey', '"snapshot"', 'ChannelCreated'];

/** What may be public: the health summary, Bitrix24's event handler, the login, the docs UI (not its document), the dashboard's files. */
function mayBePublic(route: RouteEntry, dashboardFiles: Set<string>): boolean {
  if (route.url === '/health' || route.url === '/integrations/bitrix24/events' || route.url === '/integrations/bitrix24/:tenantId/events') return true;
  if (route.method === 'POST' && route.url === '/api/session') return true;
  // Routing prompts for Asterisk's media cache: paths are keyed hashes (src/routing/runtime/prompt-audio.ts).
  if ((route.method === 'GET' || route.method === 'HEAD') && route.url === '/media/prompts/:file') return true;
  if (/^\/docs\/?$/.test(route.url) || route.url.startsWith('/docs/static/')) return true;
  return dashboardFiles.has(route.url);
}

const enc = (c: string, lower = false): string => {
  const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${lower ? hex : hex.toUpperCase()}`;
};

/**
 * The path spelled the ways a client can spell it: each either routes to the same handler or to none. With
 * `through`, the prefixes of public wildcard routes, also climbing out of each of them to the path.
 */
function spellings(path: string, origin: string, through: string[] = []): [string, string][] {
  const segs = path.split('/').slice(1);
  const join_ = (parts: string[], sep = '/') => `/${parts.join(sep)}`;
  const out: [string, string][] = [
    ['canonical', path],
    ['first letters escaped', join_(segs.map((s) => s.replace(/[a-z]/i, (c) => enc(c))))],
    ['first letters escaped, lower-case hex', join_(segs.map((s) => s.replace(/[a-z]/i, (c) => enc(c, true))))],
    ['every letter escaped', path.replace(/[a-z]/gi, (c) => enc(c))],
    ['slashes escaped', join_(segs, '%2F')],
    ['slashes escaped, lower-case hex', join_(segs, '%2f')],
    ['upper case', path.toUpperCase()],
    ['mixed case', join_(segs.map((s) => s.charAt(0).toUpperCase() + s.slice(1)))],
    ['doubled leading slash', `/${path}`],
    ['doubled slashes', path.replaceAll('/', '//')],
    ['leading dot segment', `/.${path}`],
    ['dot segments', join_(segs, '/./')],
    ['leading dot-dot segment', `/x/..${path}`],
    ['inner dot-dot segments', join_(segs.map((s) => `x/../${s}`))],
    ['escaped dot segment', `/%2e${path}`],
    ['escaped dot-dot segment', `/x/%2e%2e${path}`],
    ['escaped dot-dot segment, upper-case hex', `/x/%2E%2E${path}`],
    ['trailing slash', `${path}/`],
    ['trailing dot segment', `${path}/.`],
    ['trailing ;params', `${path};x=1`],
    [';params in the first segment', join_(segs.map((s, i) => (i === 0 ? `${s};x` : s)))],
    ['escaped ?', `${path}%3Fx=1`],
    ['escaped ? alone', `${path}%3f`],
    ['escaped #', `${path}%23x`],
    ['fragment', `${path}#x`],
    ['query string', `${path}?x=1`],
    ['empty query string', `${path}?`],
    ['backslashes', `/${segs.join('\\')}`],
    ['escaped backslashes', join_(segs, '%5C')],
    ['escaped NUL', `${path}%00`],
    ['escaped space', `${path}%20`],
    ['absolute form', `${origin}${path}`],
    ...through.flatMap((prefix): [string, string][] => {
      const up = prefix.split('/').filter(Boolean).length;
      const rest = path.slice(1);
      return [
        [`out of ${prefix}`, `${prefix}${'../'.repeat(up)}${rest}`],
        [`out of ${prefix}, escaped dots`, `${prefix}${'%2e%2e/'.repeat(up)}${rest}`],
        [`out of ${prefix}, escaped slashes`, `${prefix}${'..%2f'.repeat(up)}${rest.replaceAll('/', '%2f')}`],
        [`out of ${prefix}, backslashes`, `${prefix}${'..\\'.repeat(up)}${rest.replaceAll('/', '\\')}`],
      ];
    }),
  ];
  const seen = new Set<string>();
  return out.filter(([, p]) => !seen.has(p) && (seen.add(p), true));
}

/** Ways of asking without a valid key. */
function strangers(path: string): { label: string; path: string; headers: Record<string, string> }[] {
  const q = path.includes('?') ? '&' : '?';
  return [
    { label: 'no key', path, headers: {} },
    { label: 'wrong key', path, headers: { 'x-api-key': 'wrong-key-0123456789' } },
    { label: 'wrong bearer', path, headers: { authorization: 'Bearer wrong-key-0123456789' } },
    { label: 'empty key', path, headers: { 'x-api-key': '' } },
    { label: 'key as Basic password', path, headers: { authorization: `Basic ${Buffer.from(`x:${KEY}`).toString('base64')}` } },
    { label: 'key in the query (?apiKey=)', path: `${path}${q}apiKey=${KEY}`, headers: {} },
    { label: 'key in the query (?api_key=)', path: `${path}${q}api_key=${KEY}`, headers: {} },
  ];
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function concrete(url: string): string {
  if (url === '*') return '/anything';
  return url
    .replace(/\/deliveries\/:id/, '/deliveries/1')
    .replace(/:[A-Za-z_]+/g, CALL_ID)
    .replace(/\/static\/\*$/, '/static/swagger-ui.css')
    .replace(/\*$/, 'anything');
}

function dashboardFiles(): Set<string> {
  const files = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.add(`/${relative(WEB_DIST, full).split('\\').join('/')}`);
    }
  };
  try {
    walk(WEB_DIST);
    files.add('/');
  } catch {
    // No built dashboard: the engine serves none, and its routes are simply absent.
  }
  return files;
}

/** A marker of the engine's data in the answer, other than one the request itself sent (an echoed path). */
function leaked(answer: { body: string; headers: Record<string, unknown> }, sent = ''): string | null {
  const text = `${answer.body}\n${JSON.stringify(answer.headers)}`;
  return DATA_MARKERS.find((m) => text.includes(m) && !sent.includes(m)) ?? null;
}

describe('access to every route, however its path is spelled', () => {
  let app: App;
  let baseUrl: string;
  let send: (r: RawRequest) => Promise<RawAnswer>;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let bitrix: FakeBitrix;
  let hooks: WebhookReceiver;
  let routes: RouteEntry[] = [];
  const files = dashboardFiles();

  beforeAll(async () => {
    bitrix = await new FakeBitrix({ perSecond: 100, burst: 100 }).start();
    hooks = await new WebhookReceiver('route-matrix-webhook-secret-0123').start();
    const config = loadConfig({
      env: {
        API_KEYS: KEY,
        CALLFLOW_DATA_DIR: 'memory://',
        SIMULATOR: 'off',
        BITRIX_WEBHOOK_URL: bitrix.webhookUrl,
        BITRIX_APPLICATION_TOKEN: 'route-matrix-app-token',
        WEBHOOK_URLS: hooks.url,
        WEBHOOK_SECRET: 'route-matrix-webhook-secret-0123',
        // CORS on, so that its catch-all OPTIONS route is in the table and tried too.
        ALLOWED_ORIGINS: 'http://allowed.example',
        // Thousands of refused requests from one address: throttling would turn them into 429s and hide
        // what the key check answers. Throttling has its own tests.
        AUTH_FAILURE_LIMIT: '0',
        KEY_RATE_LIMIT: '0',
      },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    app = await createApp(config, silentLogger());
    baseUrl = (await app.start()).replace('localhost', '127.0.0.1');
    send = rawHttp(baseUrl, agent);
    const posted = await app.server.inject({ method: 'POST', url: '/api/events', headers: { 'x-api-key': KEY }, payload: traceEvents('c_dial_answered') });
    expect(posted.statusCode, posted.body).toBe(202);
    const deadline = Date.now() + 20_000;
    while ((await app.store.getCall(CALL_ID))?.status !== 'finished') {
      if (Date.now() > deadline) throw new Error('the seeded call did not finish');
      await new Promise((r) => setTimeout(r, 50));
    }
    routes = [...app.server.routeTable];
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await app?.stop();
    await bitrix?.close();
    await hooks?.close();
  });

  it('knows every route: the table holds the OpenAPI document, the dashboard, the live stream and the CRM routes', async () => {
    const table = new Set(routes.map((r) => `${r.method} ${r.url}`));
    const doc = (await app.server.inject({ url: '/docs/json', headers: { 'x-api-key': KEY } })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
    );
    expect(documented.length).toBeGreaterThan(10);
    expect(documented.filter((op) => !table.has(op))).toEqual([]);
    for (const file of files) expect(table.has(`GET ${file}`), file).toBe(true);
    for (const op of ['GET /api/live', 'GET /api/deliveries', 'POST /integrations/bitrix24/events', 'GET /docs/json', 'GET /metrics', 'OPTIONS *']) {
      expect(table.has(op), op).toBe(true);
    }
    expect(routes.some((r) => r.websocket)).toBe(true);
  });

  it('declares public only the health summary, the Bitrix24 handler, the login, the docs UI, the dashboard files and routing prompt audio', () => {
    const surprising = routes.filter((r) => r.access === 'public' && !mayBePublic(r, files)).map((r) => `${r.method} ${r.url}`);
    expect(surprising).toEqual([]);
  });

  it('answers a stranger no success and no data on any route but the public ones, in any spelling, over a socket and through inject()', async () => {
    const failures: string[] = [];
    let tried = 0;
    // Prefixes of the public catch-all routes (the docs UI's assets): a path climbing out of one must not
    // carry the catch-all's access to what it climbs to.
    const through = [...new Set(routes.filter((r) => r.access === 'public' && r.url.endsWith('*')).map((r) => r.url.slice(0, -1)))];
    expect(through.length).toBeGreaterThan(0);
    for (const route of routes.filter((r) => r.access !== 'public')) {
      const path = concrete(route.url);
      const body = BODY_METHODS.has(route.method) ? '{}' : undefined;
      const json: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
      for (const [spelling, spelled] of spellings(path, baseUrl, through)) {
        for (const who of strangers(spelled)) {
          const what = `${route.method} ${route.url} (${route.access}) as ${spelling} ${JSON.stringify(who.path)} with ${who.label}`;
          const headers = { ...json, ...who.headers };
          const answers: [string, { status: number; body: string; headers: Record<string, unknown> }][] = [];
          answers.push(['socket', await send({ method: route.method, path: who.path, headers, body })]);
          try {
            const r = await app.server.inject({ method: route.method as 'GET', url: who.path, headers, payload: body });
            answers.push(['inject', { status: r.statusCode, body: r.body, headers: r.headers }]);
          } catch {
            // inject() refuses some spellings outright; the socket has tried them.
          }
          for (const [via, answer] of answers) {
            tried++;
            if (answer.status < 400) failures.push(`${what} via ${via}: ${answer.status}`);
            const marker = leaked(answer, decodeURIComponent(who.path.replace(/%(?![0-9a-f]{2})/gi, '%25')));
            if (marker) failures.push(`${what} via ${via}: answer holds ${marker}`);
            // A keyed route refuses with 401 itself; a route that checks its own credentials ('self') may refuse otherwise.
            if (route.access === 'key' && spelling === 'canonical' && !who.path.includes('?') && answer.status !== 401) {
              failures.push(`${what} via ${via}: ${answer.status}, not 401`);
            }
          }
        }
      }
    }
    expect(tried).toBeGreaterThan(1000);
    expect(failures.slice(0, 40)).toEqual([]);
  }, 600_000);

  it('refuses the WebSocket upgrade of a private stream to a stranger, however spelled', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.websocket && r.method === 'GET' && r.access !== 'public')) {
      for (const [spelling, spelled] of spellings(concrete(route.url), baseUrl)) {
        for (const who of strangers(spelled)) {
          const answer = await send({ path: who.path, headers: { ...who.headers, origin: baseUrl }, upgrade: true });
          if (answer.upgraded || answer.status < 400) failures.push(`${route.url} as ${spelling} ${JSON.stringify(who.path)} with ${who.label}: ${answer.status}`);
          if (spelling === 'canonical' && ![401, 403].includes(answer.status)) failures.push(`${route.url} with ${who.label}: ${answer.status}, not 401`);
        }
      }
    }
    expect(failures.slice(0, 40)).toEqual([]);
  }, 120_000);

  it('lets the valid key through on every keyed route (the check refuses strangers, not everyone)', async () => {
    const refused: string[] = [];
    for (const route of routes.filter((r) => r.access === 'key')) {
      const path = concrete(route.url);
      const body = BODY_METHODS.has(route.method) ? '{}' : undefined;
      const credentials: Record<string, string>[] = [{ 'x-api-key': KEY }, { authorization: `Bearer ${KEY}` }];
      for (const headers of credentials) {
        const answer = await send({ method: route.method, path, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body });
        if (answer.status === 401 || answer.status === 429) refused.push(`${route.method} ${route.url}: ${answer.status}`);
      }
      if (route.websocket && route.method === 'GET') {
        const upgrade = await send({ path, headers: { 'x-api-key': KEY, origin: baseUrl }, upgrade: true });
        if (!upgrade.upgraded) refused.push(`WebSocket ${route.url}: ${upgrade.status}`);
      }
    }
    expect(refused).toEqual([]);
    // A key that opens the API opens its data: the seeded call is there.
    expect((await send({ path: `/api/calls/${CALL_ID}`, headers: { 'x-api-key': KEY } })).body).toContain(CALL_ID);
  }, 120_000);

  it('answers the public routes without a key, and /health without its checks', async () => {
    for (const route of routes.filter((r) => r.access === 'public' && r.method === 'GET')) {
      const answer = await send({ path: concrete(route.url) });
      expect(answer.status, route.url).not.toBe(401);
    }
    const health = await send({ path: '/health' });
    expect(Object.keys(JSON.parse(health.body))).toEqual(['status']);
    expect(leaked(health)).toBeNull();
  });
});
