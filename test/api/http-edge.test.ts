import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../support/test-app.ts';

// What every request meets before its handler: methods, the one error shape, body limits and types,
// security headers, CORS, throttling of failed authentications and of each key, and the OpenAPI
// document's account of all that.

const KEY = 'edge-test-key-0123456789';
const OTHER_KEY = 'edge-test-key-other-0123';
const COUNTED_KEY = 'edge-test-key-counted-01';
const withKey = { 'x-api-key': KEY };

function expectErrorShape(res: { statusCode: number; json(): any }, status: number, code: string): any {
  expect(res.statusCode).toBe(status);
  const body = res.json();
  expect(Object.keys(body).sort()).toEqual(['code', 'details', 'message']);
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(Array.isArray(body.details)).toBe(true);
  return body;
}

describe('methods, error shape, body limits and types', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: [KEY], http: { bodyLimitBytes: 4096, authFailureLimit: 0 } });
  });
  afterAll(async () => t?.close());

  it('answers a known path with another method 405 and the methods it takes, after the access check', async () => {
    const res = await t.server.inject({ method: 'DELETE', url: '/api/calls', headers: withKey });
    const body = expectErrorShape(res, 405, 'CF_METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(body.details).toEqual([{ allow: ['GET', 'HEAD'] }]);
    const put = await t.server.inject({ method: 'PUT', url: '/api/events', headers: withKey });
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('POST');
    const param = await t.server.inject({ method: 'PATCH', url: '/api/calls/some-call', headers: withKey });
    expect(param.headers.allow).toBe('GET, HEAD');
    // A stranger learns nothing about which paths exist, or which methods they take.
    const stranger = await t.server.inject({ method: 'DELETE', url: '/api/calls' });
    expectErrorShape(stranger, 401, 'CF_UNAUTHORIZED');
    expect(stranger.headers.allow).toBeUndefined();
    expectErrorShape(await t.server.inject({ method: 'GET', url: '/no/such/path', headers: withKey }), 404, 'CF_NOT_FOUND');
  });

  it('gives every error the same shape, details always a list', async () => {
    expectErrorShape(await t.server.inject({ url: '/api/calls' }), 401, 'CF_UNAUTHORIZED');
    expectErrorShape(await t.server.inject({ url: '/api/calls?limit=0', headers: withKey }), 400, 'CF_REQUEST_INVALID');
    expectErrorShape(await t.server.inject({ url: '/api/calls/nope', headers: withKey }), 404, 'CF_NOT_FOUND');
    expectErrorShape(await t.server.inject({ url: '/api/%zz', headers: withKey }), 400, 'CF_REQUEST_INVALID');
    expectErrorShape(await t.server.inject({ url: '/api/%zz' }), 401, 'CF_UNAUTHORIZED');
    const badJson = await t.server.inject({ method: 'POST', url: '/api/events', headers: { ...withKey, 'content-type': 'application/json' }, payload: '{"type":' });
    expectErrorShape(badJson, 400, 'CF_REQUEST_INVALID');
    const badEvent = await t.server.inject({ method: 'POST', url: '/api/events', headers: withKey, payload: [{ type: 'ChannelCreated', channel: { name: 'no id' } }] });
    expect(expectErrorShape(badEvent, 400, 'CF_EVENT_INVALID').details[0].index).toBe(0);
  });

  it('refuses a body over the limit with 413, announced or streamed, before reading it all', async () => {
    // A route under the global limit (POST /api/events sets a larger one of its own: docs/limits.md).
    const url = '/api/live/tickets';
    const big = JSON.stringify([{ type: 'StasisStart', pad: 'x'.repeat(8000) }]);
    const announced = await t.server.inject({ method: 'POST', url, headers: { ...withKey, 'content-type': 'application/json' }, payload: big });
    expectErrorShape(announced, 413, 'CF_PAYLOAD_TOO_LARGE');
    const { Readable } = await import('node:stream');
    const streamed = await t.server.inject({
      method: 'POST',
      url,
      headers: { ...withKey, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      payload: Readable.from([big.slice(0, 3000), big.slice(3000)]),
    });
    expectErrorShape(streamed, 413, 'CF_PAYLOAD_TOO_LARGE');
    // A stranger's large body is refused for the key before it is read.
    expectErrorShape(await t.server.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: big }), 401, 'CF_UNAUTHORIZED');
  });

  it('refuses a body of another type with 415', async () => {
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      const res = await t.server.inject({ method: 'POST', url: '/api/events', headers: { ...withKey, 'content-type': type }, payload: '<x/>' });
      expectErrorShape(res, 415, 'CF_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('sends security headers on API answers, errors and pages, and no CORS headers when no origin is allowed', async () => {
    const common = (res: { headers: Record<string, unknown> }) => {
      expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    };
    // Answers that are never pages may run nothing at all.
    for (const res of [
      await t.server.inject({ url: '/api/calls', headers: withKey }),
      await t.server.inject({ url: '/api/calls' }),
      await t.server.inject({ url: '/no/such/path', headers: withKey }),
      await t.server.inject({ url: '/docs/json', headers: withKey }),
    ]) {
      common(res);
      expect(String(res.headers['content-security-policy'])).toMatch(/^default-src 'none'/);
    }
    // Pages run only what the engine serves itself.
    const page = await t.server.inject({ url: '/docs' });
    common(page);
    const csp = String(page.headers['content-security-policy']);
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "connect-src 'self'", "base-uri 'self'"]) expect(csp).toContain(directive);
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).not.toMatch(/script-src[^;]*(unsafe|\*|http)/);
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    const res = await t.server.inject({ url: '/api/calls', headers: { ...withKey, origin: 'http://elsewhere.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.server.inject({
      method: 'OPTIONS',
      url: '/api/calls',
      headers: { origin: 'http://elsewhere.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' },
    });
    expect(preflight.statusCode).toBe(401);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS for the allowed origins only', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: [KEY], http: { allowedOrigins: ['https://crm.example'], authFailureLimit: 0 } });
  });
  afterAll(async () => t?.close());

  it('answers an allowed origin’s preflight (which carries no key) and its requests, and nobody else’s', async () => {
    const preflight = (origin: string) =>
      t.server.inject({
        method: 'OPTIONS',
        url: '/api/calls',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' },
      });
    const allowed = await preflight('https://crm.example');
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://crm.example');
    expect(String(allowed.headers['access-control-allow-headers'])).toContain('x-api-key');
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
    const other = await preflight('https://evil.example');
    expect(other.statusCode).toBe(401);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();

    const get = await t.server.inject({ url: '/api/calls', headers: { ...withKey, origin: 'https://crm.example' } });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBe('https://crm.example');
    const evil = await t.server.inject({ url: '/api/calls', headers: { ...withKey, origin: 'https://evil.example' } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('throttling', () => {
  let t: TestApp;
  const LIMIT = 5;
  beforeAll(async () => {
    t = await openTestApp('embedded', {
      apiKeys: [KEY, OTHER_KEY, COUNTED_KEY],
      http: { authFailureLimit: LIMIT, authFailureWindowMs: 60_000, keyRateLimit: 8, keyRateWindowMs: 60_000, trustedProxies: ['10.9.9.9'] },
    });
  });
  afterAll(async () => t?.close());

  const from = (remoteAddress: string, headers: Record<string, string> = {}, url = '/api/stats') => t.server.inject({ url, headers, remoteAddress });

  it('answers 429 with Retry-After to an address after its failed authentications, even with the right key then', async () => {
    for (let i = 0; i < LIMIT; i++) expectErrorShape(await from('10.0.0.1', { 'x-api-key': `wrong-key-${i}-0000` }), 401, 'CF_UNAUTHORIZED');
    const blocked = await from('10.0.0.1', { 'x-api-key': 'wrong-key-again-00' });
    expectErrorShape(blocked, 429, 'CF_RATE_LIMITED');
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Guessing on would tell right from wrong if the right key still passed.
    expectErrorShape(await from('10.0.0.1', withKey), 429, 'CF_RATE_LIMITED');
    expectErrorShape(await from('10.0.0.1', {}), 429, 'CF_RATE_LIMITED');
    // Other addresses, and the public summary, are not affected; the engine goes on serving.
    expect((await from('10.0.0.2', withKey)).statusCode).toBe(200);
    expect((await from('10.0.0.1', {}, '/health')).statusCode).toBe(200);
  });

  it('counts the clients behind a trusted proxy each on their own, and not what an untrusted peer claims', async () => {
    const viaProxy = (client: string, headers: Record<string, string> = {}) =>
      t.server.inject({ url: '/api/stats', headers: { ...headers, 'x-forwarded-for': client }, remoteAddress: '10.9.9.9' });
    for (let i = 0; i < LIMIT; i++) expect((await viaProxy('192.0.2.10', { 'x-api-key': `wrong-key-${i}-0000` })).statusCode).toBe(401);
    expect((await viaProxy('192.0.2.10', withKey)).statusCode).toBe(429);
    expect((await viaProxy('192.0.2.11', withKey)).statusCode).toBe(200);
    // A peer that is not a trusted proxy is counted as itself, whatever it forwards.
    for (let i = 0; i < LIMIT; i++) await from('10.0.3.1', { 'x-api-key': `wrong-key-${i}-0000`, 'x-forwarded-for': `192.0.2.${50 + i}` });
    expect((await from('10.0.3.1', { ...withKey, 'x-forwarded-for': '192.0.2.99' })).statusCode).toBe(429);
  });

  it('counts the requests of each key and answers 429 past its limit, other keys unaffected', async () => {
    const statuses: number[] = [];
    const counted = { 'x-api-key': COUNTED_KEY };
    for (let i = 0; i < 8; i++) statuses.push((await from('10.0.1.1', counted)).statusCode);
    expect(statuses).toEqual(Array(8).fill(200));
    const over = await from('10.0.1.2', counted); // the limit is the key's, wherever it comes from
    expectErrorShape(over, 429, 'CF_RATE_LIMITED');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect((await from('10.0.1.1', { 'x-api-key': OTHER_KEY })).statusCode).toBe(200);
  });
});

describe('throttling windows end', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: [KEY], http: { authFailureLimit: 2, authFailureWindowMs: 1_000, keyRateLimit: 0 } });
  });
  afterAll(async () => t?.close());

  it('lets an address back in once its window has passed', async () => {
    const from = (headers: Record<string, string>) => t.server.inject({ url: '/api/stats', headers, remoteAddress: '10.0.2.1' });
    await from({ 'x-api-key': 'wrong-key-1-000' });
    await from({ 'x-api-key': 'wrong-key-2-000' });
    expect((await from(withKey)).statusCode).toBe(429);
    const deadline = Date.now() + 15_000;
    let status = 429;
    while (status === 429 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await from(withKey)).statusCode;
    }
    expect(status).toBe(200);
  });
});

describe('the OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: [KEY] });
  });
  afterAll(async () => t?.close());

  it('lists the edge’s answers on every operation that needs a key, and security: [] on public ones', async () => {
    const doc = (await t.server.inject({ url: '/docs/json', headers: withKey })).json();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer', 'session']);
    const publicRoutes = new Set(t.server.routeTable.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.url}`));
    let keyed = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const route = `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`;
        const statuses = Object.keys(op.responses);
        if (publicRoutes.has(route)) {
          expect(op.security, route).toEqual([]);
          continue;
        }
        keyed++;
        expect(op.security, route).toEqual([{ apiKey: [] }, { bearer: [] }, { session: [] }]);
        expect(statuses, route).toEqual(expect.arrayContaining(['401', '403', '429']));
        expect(op.description, route).toMatch(/Needs the permission `[a-z]+(:[a-z]+)?`\.|Platform operators only\./);
        expect(op.responses['429'].headers['retry-after'], route).toBeDefined();
        if (method === 'post') expect(statuses, route).toEqual(expect.arrayContaining(['413', '415']));
        expect(op.responses['401'].content['application/json'].schema, route).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
    expect(keyed).toBeGreaterThan(8);
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.components.schemas.Error.required).toEqual(expect.arrayContaining(['code', 'message', 'details']));
  });
});
