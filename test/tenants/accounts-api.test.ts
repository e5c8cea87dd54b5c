import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { traceEvents } from '../support/fixtures.ts';

// Accounts end to end through the API of a whole engine (the composition root, the embedded store): the API
// is open until the first user exists, then only credentials work; logins give a cookie and a CSRF token;
// tenant keys are shown once and stop at revocation; a suspended tenant's users and keys are refused; every
// change is in the audit log.

let app: App;

async function call(method: string, url: string, options: { headers?: Record<string, string>; payload?: unknown } = {}): Promise<LightMyRequestResponse> {
  return app.server.inject({ method: method as 'GET', url, headers: options.headers ?? {}, ...(options.payload === undefined ? {} : { payload: options.payload as object }) });
}

/** A logged-in user's headers: its session cookie and CSRF token. */
async function login(email: string, password: string): Promise<Record<string, string>> {
  const answer = await call('POST', '/api/session', { payload: { email, password } });
  expect(answer.statusCode, answer.body).toBe(200);
  const cookie = answer.cookies.find((c) => c.name === 'cf_session');
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe('Strict');
  return { cookie: `cf_session=${cookie!.value}`, 'x-csrf-token': answer.json().csrfToken };
}

beforeAll(async () => {
  const config = loadConfig({ env: { CALLFLOW_DATA_DIR: 'memory://', SIMULATOR: 'off' }, flags: { http: { host: '127.0.0.1', port: 0 } } });
  app = await createApp(config, silentLogger());
});
afterAll(async () => {
  await app?.stop();
});

describe('accounts through the API', () => {
  let operator: Record<string, string>;
  let tenantId: string;
  let owner: Record<string, string>;

  it('is open with no keys and no users, and closes once the first user exists', async () => {
    const open = await call('GET', '/api/session');
    expect(open.statusCode).toBe(200);
    expect(open.json()).toMatchObject({ open: true, role: 'operator' });
    const created = await call('POST', '/api/users', { payload: { email: 'Root@Example.test', name: 'Root', role: 'operator', password: 'correct horse battery' } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ email: 'root@example.test', tenantId: null, role: 'operator' });
    expect(created.body).not.toContain('scrypt');
    expect((await call('GET', '/api/calls')).statusCode).toBe(401);
    expect((await call('GET', '/api/session')).statusCode).toBe(401);
  });

  it('logs in, refuses a wrong password without saying which part was wrong, and needs the CSRF token to change things', async () => {
    const wrong = await call('POST', '/api/session', { payload: { email: 'root@example.test', password: 'wrong horse battery' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('CF_LOGIN_FAILED');
    const unknown = await call('POST', '/api/session', { payload: { email: 'nobody@example.test', password: 'wrong horse battery' } });
    expect(unknown.json().message).toBe(wrong.json().message);
    operator = await login('root@example.test', 'correct horse battery');
    const me = await call('GET', '/api/session', { headers: operator });
    expect(me.json()).toMatchObject({ kind: 'user', role: 'operator', email: 'root@example.test', open: false });
    const noCsrf = await call('POST', '/api/tenants', { headers: { cookie: operator.cookie! }, payload: { name: 'Acme', slug: 'acme' } });
    expect(noCsrf.statusCode).toBe(403);
    const tenant = await call('POST', '/api/tenants', { headers: operator, payload: { name: 'Acme', slug: 'acme', timezone: 'Europe/Berlin' } });
    expect(tenant.statusCode, tenant.body).toBe(201);
    tenantId = tenant.json().id;
    expect((await call('GET', '/api/tenants', { headers: operator })).json().items.map((t: { slug: string }) => t.slug).sort()).toEqual(['acme', 'default']);
  });

  it("creates a tenant's owner as the operator acting in it, and the owner manages its own tenant only", async () => {
    const noTenant = await call('POST', '/api/users', { headers: operator, payload: { email: 'owner@acme.test', name: 'Olga', role: 'owner', password: 'owner password 1' } });
    expect(noTenant.statusCode).toBe(400);
    const made = await call('POST', '/api/users', { headers: { ...operator, 'x-tenant-id': tenantId }, payload: { email: 'owner@acme.test', name: 'Olga', role: 'owner', password: 'owner password 1' } });
    expect(made.statusCode, made.body).toBe(201);
    owner = await login('owner@acme.test', 'owner password 1');
    const me = (await call('GET', '/api/session', { headers: owner })).json();
    expect(me).toMatchObject({ role: 'owner', tenantId, tenant: { slug: 'acme' } });
    expect(me.permissions).toContain('users:manage');
    expect(me.permissions).not.toContain('tenants:manage');
    // Naming another tenant changes nothing for a tenant's user: it acts in its own.
    const users = await call('GET', '/api/users', { headers: { ...owner, 'x-tenant-id': 'default' } });
    expect(users.json().items.map((u: { email: string }) => u.email)).toEqual(['owner@acme.test']);
    expect((await call('GET', '/api/tenants', { headers: owner })).statusCode).toBe(403);
    expect((await call('GET', '/api/metrics', { headers: owner })).statusCode).toBe(404);
    expect((await call('GET', '/metrics', { headers: owner })).statusCode).toBe(403);
  });

  it('shows a key once, stores only its hash, records its use and refuses it once revoked', async () => {
    const made = await call('POST', '/api/keys', { headers: owner, payload: { name: 'wallboard', role: 'reporter' } });
    expect(made.statusCode, made.body).toBe(201);
    const { key, id, prefix } = made.json();
    expect(key).toMatch(/^cfk_/);
    expect(key.startsWith(prefix)).toBe(true);
    const listed = await call('GET', '/api/keys', { headers: owner });
    expect(listed.body).not.toContain(key);
    expect((await call('GET', '/api/calls', { headers: { 'x-api-key': key } })).statusCode).toBe(200);
    // Last use is recorded in batches (every 10 s, and at stop): written now, it shows in the list.
    expect(listed.json().items.find((k: { id: string }) => k.id === id).lastUsedAt).toBeNull();
    await app.server.door.flushKeyUse();
    const used = (await call('GET', '/api/keys', { headers: owner })).json().items.find((k: { id: string }) => k.id === id);
    expect(Date.parse(used.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
    // A reporter reads; it does not manage keys or rebuild calls.
    expect((await call('GET', '/api/keys', { headers: { 'x-api-key': key } })).statusCode).toBe(403);
    const revoked = await call('DELETE', `/api/keys/${id}`, { headers: owner });
    expect(revoked.statusCode).toBe(204);
    expect((await call('GET', '/api/calls', { headers: { 'x-api-key': key } })).statusCode).toBe(401);
  });

  it("refuses a suspended tenant's users and keys but still records its calls, and lets them back in when reactivated", async () => {
    const key = (await call('POST', '/api/keys', { headers: owner, payload: { name: 'crm sync', role: 'admin' } })).json().key as string;
    const suspended = await call('PATCH', `/api/tenants/${tenantId}`, { headers: operator, payload: { status: 'suspended' } });
    expect(suspended.json().status).toBe('suspended');
    for (const headers of [owner, { 'x-api-key': key }]) {
      const refused = await call('GET', '/api/calls', { headers });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('CF_TENANT_SUSPENDED');
    }
    expect((await call('POST', '/api/session', { payload: { email: 'owner@acme.test', password: 'owner password 1' } })).statusCode).toBe(403);
    // Its calls are still recorded, and given to it: a rule takes calls founded in context from-sip.
    const rules = await call('PUT', `/api/tenants/${tenantId}/rules`, { headers: operator, payload: { rules: [{ context: 'from-sip', endpoint: 'PJSIP/sipp' }] } });
    expect(rules.statusCode, rules.body).toBe(200);
    const posted = await call('POST', '/api/events', { headers: operator, payload: traceEvents('h_sipp_inbound_stasis') });
    expect(posted.statusCode, posted.body).toBe(202);
    let calls: { id: string; tenantId: string; status: string }[] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      calls = (await call('GET', `/api/calls?tenant=${tenantId}`, { headers: operator })).json().items;
      if (calls.length > 0) break;
    }
    expect(calls).toHaveLength(1);
    expect(calls[0]!.tenantId).toBe(tenantId);
    await call('PATCH', `/api/tenants/${tenantId}`, { headers: operator, payload: { status: 'active' } });
    expect((await call('GET', '/api/calls', { headers: { 'x-api-key': key } })).json().items.map((c: { id: string }) => c.id)).toEqual([calls[0]!.id]);
    expect((await call('GET', '/api/calls', { headers: { 'x-api-key': key } })).statusCode).toBe(200);
  });

  it('changes a password: the old one stops working and other sessions end', async () => {
    const other = await login('owner@acme.test', 'owner password 1');
    const changed = await call('POST', '/api/session/password', { headers: owner, payload: { currentPassword: 'owner password 1', newPassword: 'owner password 2' } });
    expect(changed.statusCode, changed.body).toBe(204);
    expect((await call('GET', '/api/session', { headers: other })).statusCode).toBe(401);
    expect((await call('GET', '/api/session', { headers: owner })).statusCode).toBe(200);
    expect((await call('POST', '/api/session', { payload: { email: 'owner@acme.test', password: 'owner password 1' } })).statusCode).toBe(401);
    await login('owner@acme.test', 'owner password 2');
    const out = await call('DELETE', '/api/session', { headers: owner });
    expect(out.statusCode).toBe(204);
    expect((await call('GET', '/api/session', { headers: owner })).statusCode).toBe(401);
  });

  it("keeps an audit log of every change, each tenant's its own, with no secret in it", async () => {
    const ownerAgain = await login('owner@acme.test', 'owner password 2');
    const mine = (await call('GET', '/api/audit', { headers: ownerAgain })).json().items as { action: string; tenantId: string | null; actor: { name: string } }[];
    expect(mine.every((e) => e.tenantId === tenantId)).toBe(true);
    expect(mine.map((e) => e.action)).toEqual(
      expect.arrayContaining(['user.created', 'api_key.created', 'api_key.revoked', 'tenant.suspended', 'tenant.reactivated', 'user.password_changed']),
    );
    const all = await call('GET', '/api/audit', { headers: operator });
    expect(all.json().items.some((e: { action: string }) => e.action === 'tenant.created')).toBe(true);
    expect(all.body).not.toMatch(/scrypt|cfk_[A-Za-z0-9_-]{20}|owner password/);
  });
});
