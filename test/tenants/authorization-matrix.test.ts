import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import type { RouteEntry } from '../../src/api/route-table.ts';
import { loadConfig } from '../../src/config/load.ts';
import { allows, TENANT_ROLES, type Permission, type Role } from '../../src/tenants/permissions.ts';
import { batchOf, makeCall, makeEventRow } from '../support/call-factory.ts';
import { RecordingStore } from '../../src/routing/recordings/recording-store.ts';

// The authorization matrix, generated from the server's own route table: every route × every role × acting on
// its own tenant, on another tenant, and in no tenant. Two tenants are seeded with calls, events, deliveries,
// users and keys, each carrying markers; a principal of one tenant must never get a 2xx on another's objects,
// never see another's markers, and never change another's data. A role without the route's permission gets
// 403. A route added later is tried the same way without anyone listing it here (it gets `{}` for a body and
// the other tenant's call id for an unknown parameter).

const PLATFORM_KEY = 'matrix-platform-key-0123456789';
type Tenant = 'a' | 'b';
let app: App;

interface Seeded {
  tenantId: string;
  callId: string;
  /** Caller and callee of the call: the agent's extension is its callee. */
  from: string;
  to: string;
  deliveryId: number;
  userIds: Record<string, string>;
  keyIds: Record<string, string>;
  number: string;
  /** Routing objects by the path segment of their routes (/api/routing/<segment>/:id), and a voicemail message. */
  routingIds: Record<string, string>;
  messageId: string;
  /** A call recording of the call. */
  recordingId: string;
  markers: string[];
}
const seeded = {} as Record<Tenant, Seeded>;
/** Credentials: per tenant and role, a session (cookie + CSRF) and an API key. */
const sessions = {} as Record<Tenant, Record<string, Record<string, string>>>;
const keys = {} as Record<Tenant, Record<string, Record<string, string>>>;
let operatorSession: Record<string, string> = {};

async function call(method: string, url: string, headers: Record<string, string>, payload?: unknown): Promise<LightMyRequestResponse> {
  return app.server.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
}

/** A new session of a seeded user (the matrix logs its sessions out at the end of each round). */
async function freshSession(tenant: Tenant, role: string): Promise<Record<string, string>> {
  const login = await call('POST', '/api/session', {}, { email: `${role}@matrix-${tenant}.test`, password: `password of ${role} ${tenant}` });
  expect(login.statusCode, login.body).toBe(200);
  return { cookie: `cf_session=${login.cookies.find((c) => c.name === 'cf_session')!.value}`, 'x-csrf-token': login.json().csrfToken };
}

const platform = (tenant?: string) => ({ 'x-api-key': PLATFORM_KEY, ...(tenant ? { 'x-tenant-id': tenant } : {}) });

async function seedTenant(name: Tenant): Promise<void> {
  const created = await call('POST', '/api/tenants', platform(), { name: `Tenant ${name}`, slug: `matrix-${name}` });
  expect(created.statusCode, created.body).toBe(201);
  const tenantId = created.json().id as string;
  const from = name === 'a' ? '+4930111' : '+4930222';
  const to = name === 'a' ? '201' : '301';
  const callId = `matrix-call-${name}`;
  const record = { ...makeCall({ id: callId, startedAt: '2026-12-01T10:00:00.000Z', from, to }), tenantId, server: `matrix-${name}` };
  await app.store.writeBatch(
    batchOf({
      calls: [record],
      events: [makeEventRow({ callId, server: `matrix-${name}`, type: 'ChannelCreated', fields: { marker: `event-of-${name}` } })],
      outbox: [{ sink: 'webhook:matrix', callId, eventType: 'call.finished', idempotencyKey: `webhook:matrix:${callId}:call.finished`, payload: { marker: `delivery-of-${name}` } }],
    }),
  );
  const [delivery] = await app.store.sql.query<{ id: number }>('SELECT id FROM outbox WHERE call_id = $1', [callId]);
  const number = name === 'a' ? '+4930111000' : '+4930222000';
  expect((await call('POST', `/api/tenants/${tenantId}/numbers`, platform(), { number })).statusCode).toBe(201);
  const userIds: Record<string, string> = {};
  const keyIds: Record<string, string> = {};
  sessions[name] = {};
  keys[name] = {};
  for (const role of TENANT_ROLES) {
    const email = `${role}@matrix-${name}.test`;
    const user = await call('POST', '/api/users', platform(tenantId), { email, name: `${role} of ${name}`, role, extensions: role === 'agent' ? [to] : [], password: `password of ${role} ${name}` });
    expect(user.statusCode, user.body).toBe(201);
    userIds[role] = user.json().id;
    const login = await call('POST', '/api/session', {}, { email, password: `password of ${role} ${name}` });
    expect(login.statusCode, login.body).toBe(200);
    const cookie = login.cookies.find((c) => c.name === 'cf_session')!;
    sessions[name][role] = { cookie: `cf_session=${cookie.value}`, 'x-csrf-token': login.json().csrfToken };
    const key = await call('POST', '/api/keys', platform(tenantId), { name: `key-${role}-of-${name}`, role });
    expect(key.statusCode, key.body).toBe(201);
    keyIds[role] = key.json().id;
    keys[name][role] = { 'x-api-key': key.json().key };
  }
  // Routing objects of every type, the number routed to an IVR, and a voicemail message.
  const routingIds: Record<string, string> = {};
  const make = async (segment: string, body: unknown) => {
    const made = await call('POST', `/api/routing/${segment}`, platform(tenantId), body);
    expect(made.statusCode, made.body).toBe(201);
    routingIds[segment] = made.json().id;
  };
  await make('voicemail-boxes', { number: '9000', name: `box-of-${name}`, pin: '1234' });
  await make('extensions', { number: to, name: `extension-of-${name}`, voicemailBoxId: routingIds['voicemail-boxes'] });
  await make('ring-groups', { name: `group-of-${name}`, members: [{ extensionId: routingIds.extensions }] });
  await make('conferences', { name: `room-of-${name}`, number: '800' });
  await make('announcements', { name: `announcement-of-${name}`, prompt: { kind: 'text', text: `routing-of-${name}` } });
  await make('ivr-menus', { name: `menu-of-${name}`, prompt: { kind: 'text', text: 'menu' }, options: { '1': { type: 'ring-group', id: routingIds['ring-groups'] } } });
  await make('schedules', { name: `schedule-of-${name}`, open: { type: 'ivr', id: routingIds['ivr-menus'] }, closed: { type: 'announcement', id: routingIds.announcements } });
  const routed = await call('PUT', `/api/routing/numbers/${encodeURIComponent(number)}`, platform(tenantId), { destination: { type: 'schedule', id: routingIds.schedules } });
  expect(routed.statusCode, routed.body).toBe(200);
  const message = await app.routing.addMessage(tenantId, routingIds['voicemail-boxes']!, { callId, from, durationS: 5, recordingId: `recording-of-${name}` });
  const recordingId = `callrec-of-${name}`;
  await new RecordingStore(app.store.sql).add({ id: recordingId, tenantId, server: `matrix-${name}`, channelId: record.legs[0]!.channelId, from, policy: 'number', durationS: 30, startedAt: record.startedAt });
  seeded[name] = {
    tenantId,
    routingIds,
    messageId: message.id,
    recordingId,
    callId,
    from,
    to,
    deliveryId: Number(delivery!.id),
    userIds,
    keyIds,
    number,
    markers: [callId, from, `event-of-${name}`, `delivery-of-${name}`, `@matrix-${name}.test`, `key-admin-of-${name}`, number, `routing-of-${name}`, `-of-${name}`, `recording-of-${name}`, recordingId],
  };
}

/** Fills a route's parameters with `target`'s objects, by what the route is about. */
function pathFor(route: RouteEntry, target: Seeded): string {
  const about = route.url.split('/')[2] ?? '';
  return route.url.replace(/:([A-Za-z]+)/g, (_, param: string) => {
    if (param === 'number') return encodeURIComponent(target.number);
    if (about === 'routing') return param === 'messageId' ? target.messageId : (target.routingIds[route.url.split('/')[3] ?? ''] ?? target.callId);
    if (about === 'deliveries') return String(target.deliveryId);
    if (about === 'recordings') return target.recordingId;
    if (about === 'users') return target.userIds.agent!;
    if (about === 'keys') return target.keyIds.reporter!;
    if (about === 'tenants') return target.tenantId;
    return target.callId;
  });
}

/** Bodies that pass validation, so that a write reaches its handler; others get `{}`. */
const BODIES: Record<string, unknown> = {
  'POST /api/users': { email: 'intruder@matrix.test', name: 'Intruder', role: 'reporter', password: 'intruder password' },
  'PATCH /api/users/:id': { name: 'Renamed by an intruder' },
  'POST /api/users/:id/password': { password: 'taken over password' },
  'POST /api/keys': { name: 'intruder key', role: 'reporter' },
  'PATCH /api/tenants/:id': { status: 'suspended' },
  'PUT /api/tenants/:id/rules': { rules: [{ context: 'stolen' }] },
  'POST /api/tenants/:id/numbers': { number: '+100200300' },
  'POST /api/tenants': { name: 'Intruder', slug: 'intruder' },
  'PUT /api/session/tenant': { tenantId: null },
  'POST /api/session/password': { currentPassword: 'x', newPassword: 'y' },
  'POST /api/events': [],
  'PUT /api/routing/announcements/:id': { name: 'Taken over', prompt: { kind: 'text', text: 'intruder' } },
  'PUT /api/routing/extensions/:id': { number: '299', name: 'Taken over' },
  'PUT /api/routing/voicemail-boxes/:id': { number: '9999', name: 'Taken over', pin: '0000' },
  'PUT /api/routing/conferences/:id': { name: 'Taken over' },
  'PUT /api/routing/ring-groups/:id': { name: 'Taken over', members: [] },
  'PUT /api/routing/ivr-menus/:id': { name: 'Taken over', prompt: { kind: 'text', text: 'intruder' } },
  'PUT /api/routing/schedules/:id': { name: 'Taken over', open: { type: 'hangup' }, closed: { type: 'hangup' } },
  'PUT /api/routing/numbers/:number': { destination: { type: 'hangup' }, record: true },
  'PATCH /api/routing/voicemail-boxes/:id/messages/:messageId': { heard: true },
  'PUT /api/settings/crm': { webhooks: [{ name: 'matrix', url: 'http://127.0.0.1:9/hook', secret: 'matrix-webhook-secret-0123456789' }] },
};

/** Every route behind the door but the docs' document; logging out last, so the session lasts the round. */
function routesUnderTest(): RouteEntry[] {
  const routes = app.server.routeTable.filter((r) => r.access === 'key' && !r.websocket && r.method !== 'HEAD' && r.method !== 'OPTIONS' && !r.url.startsWith('/docs'));
  const logout = (r: RouteEntry) => (r.method === 'DELETE' && r.url === '/api/session' ? 1 : 0);
  return [...routes].sort((x, y) => logout(x) - logout(y));
}

const permissionOf = (route: RouteEntry): Permission | undefined => route.permission;

beforeAll(async () => {
  const config = loadConfig({
    env: { API_KEYS: PLATFORM_KEY, CALLFLOW_DATA_DIR: 'memory://', SIMULATOR: 'off', AUTH_FAILURE_LIMIT: '0', KEY_RATE_LIMIT: '0' },
    flags: { http: { host: '127.0.0.1', port: 0 } },
  });
  app = await createApp(config, silentLogger());
  await seedTenant('a');
  await seedTenant('b');
  const op = await call('POST', '/api/users', platform(), { email: 'operator@matrix.test', name: 'Operator', role: 'operator', password: 'operator password' });
  expect(op.statusCode, op.body).toBe(201);
  const login = await call('POST', '/api/session', {}, { email: 'operator@matrix.test', password: 'operator password' });
  operatorSession = { cookie: `cf_session=${login.cookies.find((c) => c.name === 'cf_session')!.value}`, 'x-csrf-token': login.json().csrfToken };
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

describe('authorization matrix (every route × role × tenant)', () => {
  it('covers the routes that hold tenant data, taken from the route table', () => {
    const urls = routesUnderTest().map((r) => `${r.method} ${r.url}`);
    for (const expected of ['GET /api/calls', 'GET /api/calls/:id', 'GET /api/calls/:id/events', 'GET /api/calls/export.csv', 'GET /api/stats/calls', 'GET /api/deliveries', 'POST /api/deliveries/:id/retry', 'GET /api/users', 'DELETE /api/keys/:id', 'GET /api/audit', 'PATCH /api/tenants/:id', 'GET /api/routing/extensions/:id', 'PUT /api/routing/announcements/:id', 'DELETE /api/routing/voicemail-boxes/:id', 'PUT /api/routing/numbers/:number', 'PATCH /api/routing/voicemail-boxes/:id/messages/:messageId', 'GET /api/calls/:id/recordings', 'GET /api/recordings/:id/audio', 'DELETE /api/recordings/:id']) {
      expect(urls).toContain(expected);
    }
  });

  for (const credential of ['key', 'session'] as const) {
    for (const role of TENANT_ROLES) {
      it(`${role} of tenant A (${credential}): nothing of tenant B, 403 without the permission`, async () => {
        const headers = (credential === 'session' ? sessions : keys).a[role]!;
        const problems: string[] = [];
        for (const route of routesUnderTest()) {
          const permission = permissionOf(route);
          const permitted = permission === undefined ? false : allows(role as Role, permission);
          // Naming tenant B in the header must not help a tenant's principal either.
          const answer = await call(route.method, pathFor(route, seeded.b), { ...headers, 'x-tenant-id': seeded.b.tenantId }, route.method === 'GET' || route.method === 'DELETE' ? undefined : (BODIES[`${route.method} ${route.url}`] ?? {}));
          const where = `${route.method} ${route.url}`;
          if (!permitted && answer.statusCode !== 403) problems.push(`${where}: ${answer.statusCode}, expected 403 (${permission ?? 'operators only'})`);
          if (route.url.includes(':') && answer.statusCode < 300) problems.push(`${where} on tenant B's object: ${answer.statusCode}`);
          // An id the request itself named may come back in its "not found"; nothing else of B may.
          const path = pathFor(route, seeded.b);
          for (const marker of seeded.b.markers) if (!path.includes(marker) && !path.includes(encodeURIComponent(marker)) && answer.body.includes(marker)) problems.push(`${where}: answer holds tenant B's ${marker}`);
        }
        expect(problems).toEqual([]);
      });
    }
  }

  it("lets each tenant's principals read their own tenant (the checks above are not vacuous)", async () => {
    const reporter = await freshSession('a', 'reporter');
    const own = await call('GET', `/api/calls/${seeded.a.callId}`, reporter);
    expect(own.statusCode).toBe(200);
    const listed = await call('GET', '/api/calls', keys.a.admin!);
    expect(listed.json().items.map((c: { id: string }) => c.id)).toEqual([seeded.a.callId]);
    expect((await call('GET', `/api/deliveries/${seeded.a.deliveryId}`, keys.a.owner!)).statusCode).toBe(200);
    expect((await call('GET', '/api/deliveries', keys.a.owner!)).json().items.map((d: { callId: string }) => d.callId)).toEqual([seeded.a.callId]);
    const csv = await call('GET', '/api/calls/export.csv', reporter);
    expect(csv.body).toContain(seeded.a.callId);
    expect(csv.body).not.toContain(seeded.b.callId);
    expect((await call('GET', '/api/stats/calls', keys.a.reporter!)).json().total).toBe(1);
    const recordings = await call('GET', `/api/calls/${seeded.a.callId}/recordings`, reporter);
    expect(recordings.json().items.map((r: { id: string }) => r.id)).toEqual([seeded.a.recordingId]);
  });

  it("narrows an agent to its own extensions' calls", async () => {
    const agent = await freshSession('a', 'agent');
    expect((await call('GET', `/api/calls/${seeded.a.callId}`, agent)).statusCode).toBe(200);
    const other = { ...makeCall({ id: 'matrix-call-a-other', from: '+4930999', to: '202', startedAt: '2026-12-01T11:00:00.000Z' }), tenantId: seeded.a.tenantId };
    await app.store.writeBatch(batchOf({ calls: [other] }));
    expect((await call('GET', '/api/calls/matrix-call-a-other', agent)).statusCode).toBe(404);
    expect((await call('GET', '/api/calls/matrix-call-a-other', keys.a.reporter!)).statusCode).toBe(200);
    expect((await call('GET', '/api/calls', agent)).json().items.map((c: { id: string }) => c.id)).toEqual([seeded.a.callId]);
  });

  it('lets an operator act in any tenant, and in none', async () => {
    expect((await call('GET', `/api/calls/${seeded.b.callId}`, operatorSession)).statusCode).toBe(200);
    const all = (await call('GET', '/api/calls', platform())).json().items.map((c: { id: string }) => c.id);
    expect(all).toEqual(expect.arrayContaining([seeded.a.callId, seeded.b.callId]));
    const inB = (await call('GET', '/api/calls', platform(seeded.b.tenantId))).json().items.map((c: { id: string }) => c.id);
    expect(inB).toEqual([seeded.b.callId]);
  });

  it("left tenant B's data as it was after everything tenant A tried", async () => {
    const b = seeded.b;
    const tenant = (await call('GET', `/api/tenants/${b.tenantId}`, platform())).json();
    expect(tenant.status).toBe('active');
    const users = (await call('GET', '/api/users', platform(b.tenantId))).json().items as { name: string; email: string }[];
    expect(users.map((u) => u.email).sort()).toEqual(TENANT_ROLES.map((r) => `${r}@matrix-b.test`).sort());
    expect(users.some((u) => u.name.includes('intruder'))).toBe(false);
    const bKeys = (await call('GET', '/api/keys', platform(b.tenantId))).json().items as { revokedAt: string | null; name: string }[];
    expect(bKeys.every((k) => k.revokedAt === null)).toBe(true);
    expect(bKeys).toHaveLength(TENANT_ROLES.length);
    const rules = (await call('GET', `/api/tenants/${b.tenantId}/rules`, platform())).json().items;
    expect(rules).toEqual([]);
    const delivery = (await call('GET', `/api/deliveries/${b.deliveryId}`, platform())).json();
    expect(delivery.status).toBe('pending');
    expect((await call('GET', '/api/tenants', platform())).json().items.some((t: { slug: string }) => t.slug === 'intruder')).toBe(false);
    // Tenant B's routing is as seeded: every object there, unchanged, its number still routed, its message unheard.
    for (const [segment, id] of Object.entries(b.routingIds)) {
      const object = await call('GET', `/api/routing/${segment}/${id}`, platform(b.tenantId));
      expect(object.statusCode, `${segment}: ${object.body}`).toBe(200);
      expect(object.json().name).toMatch(/-of-b$/);
    }
    expect((await call('GET', `/api/routing/voicemail-boxes/${b.routingIds['voicemail-boxes']}`, platform(b.tenantId))).json().hasPin).toBe(true);
    const numbers = (await call('GET', '/api/routing/numbers', platform(b.tenantId))).json().items;
    expect(numbers).toEqual([expect.objectContaining({ number: b.number, destination: { type: 'schedule', id: b.routingIds.schedules }, record: false })]);
    const messages = (await call('GET', `/api/routing/voicemail-boxes/${b.routingIds['voicemail-boxes']}/messages`, platform(b.tenantId))).json().items;
    expect(messages).toEqual([expect.objectContaining({ id: b.messageId, heard: false })]);
    const recordings = (await call('GET', `/api/calls/${b.callId}/recordings`, platform(b.tenantId))).json().items;
    expect(recordings.map((r: { id: string }) => r.id)).toEqual([b.recordingId]);
    // Tenant B's people still get in with their own passwords.
    expect((await call('POST', '/api/session', {}, { email: 'agent@matrix-b.test', password: 'password of agent b' })).statusCode).toBe(200);
  });
});
