import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { verifyPassword } from '../../src/tenants/passwords.ts';
import { isSealed } from '../../src/tenants/secret-box.ts';
import { createPostgresDatabase, storeKinds, type TestDatabase } from '../support/test-store.ts';

// A tenant's routing objects through the API of a whole engine (docs/routing.md): CRUD of every type, the
// bounds of what a client may write, references that must exist, objects in use, loops refused, PINs kept
// as hashes, numbers routed only by the tenant that owns them, tenants apart, roles, and the audit log. On
// the embedded store, and on PostgreSQL when TEST_DATABASE_URL is set.

const PLATFORM_KEY = 'routing-platform-key-0123456789';

describe.each(storeKinds())('routing objects through the API (%s)', (kind) => {
  let app: App;
  let db: TestDatabase | null = null;
  let tenantA = '';
  let tenantB = '';
  const keyOf: Record<string, Record<string, Record<string, string>>> = {};
  const NUMBER_A = '+4930111000';
  const NUMBER_B = '+4930222000';

  async function call(method: string, url: string, headers: Record<string, string>, payload?: unknown): Promise<LightMyRequestResponse> {
    return app.server.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  }
  const platform = (tenant?: string) => ({ 'x-api-key': PLATFORM_KEY, ...(tenant ? { 'x-tenant-id': tenant } : {}) });
  const admin = () => keyOf.a!.admin!;
  const adminB = () => keyOf.b!.admin!;

  async function created(url: string, body: unknown, headers = admin()): Promise<Record<string, unknown> & { id: string }> {
    const answer = await call('POST', url, headers, body);
    expect(answer.statusCode, answer.body).toBe(201);
    return answer.json();
  }

  beforeAll(async () => {
    db = kind === 'postgres' ? await createPostgresDatabase() : null;
    const config = loadConfig({
      env: { API_KEYS: PLATFORM_KEY, CALLFLOW_DATA_DIR: 'memory://', SIMULATOR: 'off', AUTH_FAILURE_LIMIT: '0', KEY_RATE_LIMIT: '0', ...(db ? { DATABASE_URL: db.url } : {}) },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    app = await createApp(config, silentLogger());
    for (const [name, number] of [
      ['a', NUMBER_A],
      ['b', NUMBER_B],
    ] as const) {
      const tenant = await call('POST', '/api/tenants', platform(), { name: `Tenant ${name}`, slug: name === 'a' ? 'acme' : 'bravo', timezone: 'Europe/Berlin' });
      expect(tenant.statusCode, tenant.body).toBe(201);
      const id = tenant.json().id as string;
      if (name === 'a') tenantA = id;
      else tenantB = id;
      expect((await call('POST', `/api/tenants/${id}/numbers`, platform(), { number })).statusCode).toBe(201);
      keyOf[name] = {};
      for (const role of ['owner', 'admin', 'agent', 'reporter']) {
        const key = await call('POST', '/api/keys', platform(id), { name: `${role} of ${name}`, role });
        expect(key.statusCode, key.body).toBe(201);
        keyOf[name][role] = { 'x-api-key': key.json().key };
      }
    }
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  describe('CRUD', () => {
    it('creates, reads, replaces and deletes every type of object', async () => {
      const box = await created('/api/routing/voicemail-boxes', { number: '9201', name: 'Anna', pin: '4321' });
      expect(box).toMatchObject({ number: '9201', name: 'Anna', hasPin: true, maxMessageS: 120, greeting: null, tenantId: tenantA });
      expect(box.id).toMatch(/^vm_[a-z2-7]{16}$/);
      const ext = await created('/api/routing/extensions', { number: '201', name: 'Anna', voicemailBoxId: box.id, forward: { busy: { type: 'voicemail', id: box.id } } });
      expect(ext).toMatchObject({ number: '201', endpoint: 'acme-201', ringTimeoutS: 20, enabled: true, record: false, voicemailBoxId: box.id });
      const ext2 = await created('/api/routing/extensions', { number: '202', name: 'Ben' });
      const group = await created('/api/routing/ring-groups', {
        name: 'Sales',
        number: '600',
        strategy: 'round-robin',
        members: [{ extensionId: ext.id }, { extensionId: ext2.id, timeoutS: 15 }],
        fallback: { type: 'voicemail', id: box.id },
      });
      expect(group).toMatchObject({ strategy: 'round-robin', nextIndex: 0, turns: 1, members: [{ extensionId: ext.id, timeoutS: null }, { extensionId: ext2.id, timeoutS: 15 }] });
      const conference = await created('/api/routing/conferences', { name: 'Standup', number: '800', pin: '1111', hostPin: '999999' });
      expect(conference).toMatchObject({ hasPin: true, hasHostPin: true, maxParticipants: 50 });
      const announcement = await created('/api/routing/announcements', { name: 'Closed', prompt: { kind: 'text', text: 'We are closed.' }, next: { type: 'voicemail', id: box.id } });
      const menu = await created('/api/routing/ivr-menus', {
        name: 'Main',
        prompt: { kind: 'text', text: 'Press 1 for sales, 2 for the standup' },
        options: { '1': { type: 'ring-group', id: group.id }, '2': { type: 'conference', id: conference.id }, '#': { type: 'external', number: '+493012345' } },
        directDial: true,
        failover: { type: 'extension', id: ext.id },
      });
      expect(menu).toMatchObject({ timeoutS: 5, interDigitTimeoutMs: 2000, retries: 2, invalidPrompt: null });
      const schedule = await created('/api/routing/schedules', {
        name: 'Office hours',
        weekly: [1, 2, 3, 4, 5].map((day) => ({ day, from: '09:00', to: '17:00' })).concat([{ day: 6, from: '22:00', to: '06:00' }]),
        exceptions: [{ date: '2026-12-25', name: 'Christmas', closed: true }],
        open: { type: 'ivr', id: menu.id },
        closed: { type: 'announcement', id: announcement.id },
      });
      expect(schedule).toMatchObject({ timezone: null, exceptions: [{ date: '2026-12-25', name: 'Christmas', closed: true, ranges: [] }] });

      const lists: [string, string[]][] = [
        ['extensions', [ext.id, ext2.id]],
        ['ring-groups', [group.id]],
        ['ivr-menus', [menu.id]],
        ['schedules', [schedule.id]],
        ['voicemail-boxes', [box.id]],
        ['conferences', [conference.id]],
        ['announcements', [announcement.id]],
      ];
      for (const [path, ids] of lists) {
        const listed = await call('GET', `/api/routing/${path}`, keyOf.a!.reporter!);
        expect(listed.statusCode, listed.body).toBe(200);
        expect(listed.json().items.map((o: { id: string }) => o.id)).toEqual(ids);
        const one = await call('GET', `/api/routing/${path}/${ids[0]}`, keyOf.a!.agent!);
        expect(one.statusCode, one.body).toBe(200);
        expect(one.json().id).toBe(ids[0]);
      }

      // PUT replaces the object; the extension keeps its endpoint, the group its id.
      const renamed = await call('PUT', `/api/routing/extensions/${ext.id}`, admin(), { number: '201', name: 'Anna K.', ringTimeoutS: 30, voicemailBoxId: box.id });
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect(renamed.json()).toMatchObject({ id: ext.id, name: 'Anna K.', ringTimeoutS: 30, forward: {}, endpoint: 'acme-201', createdAt: ext.createdAt });
      const shorter = await call('PUT', `/api/routing/ring-groups/${group.id}`, admin(), { name: 'Sales', strategy: 'sequential', members: [{ extensionId: ext2.id }], fallback: { type: 'hangup' } });
      expect(shorter.statusCode, shorter.body).toBe(200);
      expect(shorter.json()).toMatchObject({ strategy: 'sequential', number: null, members: [{ extensionId: ext2.id, timeoutS: null }] });

      // Delete from the top down: each object once nothing points at it any more.
      for (const [path, id] of [
        ['schedules', schedule.id],
        ['ivr-menus', menu.id],
        ['announcements', announcement.id],
        ['conferences', conference.id],
        ['ring-groups', group.id],
        ['extensions', ext.id],
        ['extensions', ext2.id],
        ['voicemail-boxes', box.id],
      ] as const) {
        const gone = await call('DELETE', `/api/routing/${path}/${id}`, admin());
        expect(gone.statusCode, `${path}: ${gone.body}`).toBe(204);
        expect((await call('GET', `/api/routing/${path}/${id}`, admin())).statusCode).toBe(404);
        expect((await call('DELETE', `/api/routing/${path}/${id}`, admin())).statusCode).toBe(404);
      }
    });

    it('keeps PINs as scrypt hashes and never shows them', async () => {
      const box = await created('/api/routing/voicemail-boxes', { number: '9300', name: 'PIN box', pin: '246810' });
      const [row] = await app.store.sql.query<{ pin_hash: string }>('SELECT pin_hash FROM voicemail_boxes WHERE id = $1', [box.id]);
      expect(row!.pin_hash).toMatch(/^scrypt\$/);
      expect(await verifyPassword('246810', row!.pin_hash)).toBe(true);
      const shown = await call('GET', `/api/routing/voicemail-boxes/${box.id}`, admin());
      expect(shown.json().hasPin).toBe(true);
      expect(shown.body).not.toMatch(/246810|scrypt|pinHash|"pin"/);
      // A PUT without the PIN keeps it; null removes it.
      const kept = await call('PUT', `/api/routing/voicemail-boxes/${box.id}`, admin(), { number: '9300', name: 'PIN box renamed' });
      expect(kept.json()).toMatchObject({ name: 'PIN box renamed', hasPin: true });
      const removed = await call('PUT', `/api/routing/voicemail-boxes/${box.id}`, admin(), { number: '9300', name: 'PIN box', pin: null });
      expect(removed.json().hasPin).toBe(false);
      const room = await created('/api/routing/conferences', { name: 'Board', hostPin: '777' });
      expect(room).toMatchObject({ hasPin: false, hasHostPin: true });
      const audit = await call('GET', '/api/audit?limit=500', admin());
      expect(audit.body).not.toMatch(/246810|scrypt/);
      for (const pin of ['12', '1234567890123', '12a4', ' 123']) {
        const bad = await call('POST', '/api/routing/voicemail-boxes', admin(), { number: '9301', name: 'Bad PIN', pin });
        expect(bad.statusCode, pin).toBe(422);
      }
    });
  });

  describe('validation', () => {
    const hostile: [string, string, unknown][] = [
      ['an extension number of letters', 'extensions', { number: '20a', name: 'x' }],
      ['a one-digit extension number', 'extensions', { number: '2', name: 'x' }],
      ['a nine-digit extension number', 'extensions', { number: '123456789', name: 'x' }],
      ['an empty name', 'extensions', { number: '210', name: '   ' }],
      ['a name of 201 characters', 'extensions', { number: '210', name: 'n'.repeat(201) }],
      ['a ring time of an hour', 'extensions', { number: '210', name: 'x', ringTimeoutS: 3600 }],
      ['a forward to a number with letters', 'extensions', { number: '210', name: 'x', forward: { busy: { type: 'external', number: '+49abc' } } }],
      ['an unknown destination type', 'extensions', { number: '210', name: 'x', forward: { busy: { type: 'dialplan', id: 'x' } } }],
      ['65 ring group members', 'ring-groups', { name: 'Big', members: Array.from({ length: 65 }, (_, i) => ({ extensionId: `ext_${i}` })) }],
      ['the same member twice', 'ring-groups', { name: 'Twice', members: [{ extensionId: 'ext_a' }, { extensionId: 'ext_a' }] }],
      ['a turn count of 1000', 'ring-groups', { name: 'Turns', members: [], turns: 1000 }],
      ['a prompt of 1001 characters', 'announcements', { name: 'Long', prompt: { kind: 'text', text: 'x'.repeat(1001) } }],
      ['an IVR option on key x', 'ivr-menus', { name: 'Keys', prompt: { kind: 'text', text: 'hi' }, options: { x: { type: 'hangup' } } }],
      ['an IVR with 10 retries', 'ivr-menus', { name: 'Retries', prompt: { kind: 'text', text: 'hi' }, retries: 10 }],
      ['a time 25:00', 'schedules', { name: 'Bad', weekly: [{ day: 1, from: '09:00', to: '25:00' }], open: { type: 'hangup' }, closed: { type: 'hangup' } }],
      ['a time 9:00', 'schedules', { name: 'Bad', weekly: [{ day: 1, from: '9:00', to: '17:00' }], open: { type: 'hangup' }, closed: { type: 'hangup' } }],
      ['day 8', 'schedules', { name: 'Bad', weekly: [{ day: 8, from: '09:00', to: '17:00' }], open: { type: 'hangup' }, closed: { type: 'hangup' } }],
      ['an unknown time zone', 'schedules', { name: 'Bad', timezone: 'Mars/Olympus_Mons', open: { type: 'hangup' }, closed: { type: 'hangup' } }],
      ['the 30th of February', 'schedules', { name: 'Bad', exceptions: [{ date: '2026-02-30' }], open: { type: 'hangup' }, closed: { type: 'hangup' } }],
      [
        '101 exceptions',
        'schedules',
        { name: 'Bad', exceptions: Array.from({ length: 101 }, (_, i) => ({ date: new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10) })), open: { type: 'hangup' }, closed: { type: 'hangup' } },
      ],
      ['101 weekly ranges', 'schedules', { name: 'Bad', weekly: Array.from({ length: 101 }, () => ({ day: 1, from: '09:00', to: '10:00' })), open: { type: 'hangup' }, closed: { type: 'hangup' } }],
      ['a conference of a million', 'conferences', { name: 'Huge', maxParticipants: 1_000_000 }],
      ['a schedule without its destinations', 'schedules', { name: 'Half' }],
    ];
    for (const [what, path, body] of hostile) {
      it(`refuses ${what} with 422 CF_ROUTING_INVALID`, async () => {
        const answer = await call('POST', `/api/routing/${path}`, admin(), body);
        expect(answer.statusCode, answer.body).toBe(422);
        expect(answer.json().code).toBe('CF_ROUTING_INVALID');
        expect(answer.json().details.length).toBeGreaterThan(0);
        expect(answer.body.length).toBeLessThan(20_000);
      });
    }

    it('stores SQL-looking and unusual text verbatim', async () => {
      const name = `Robert'); DROP TABLE extensions;-- "ü" \\ 💥`;
      const ext = await created('/api/routing/extensions', { number: '250', name, callerIdName: "' OR 1=1 --" });
      const read = (await call('GET', `/api/routing/extensions/${ext.id}`, admin())).json();
      expect(read.name).toBe(name);
      expect(read.callerIdName).toBe("' OR 1=1 --");
      expect((await call('GET', '/api/routing/extensions', admin())).statusCode).toBe(200);
      expect((await call('DELETE', `/api/routing/extensions/${ext.id}`, admin())).statusCode).toBe(204);
    });
  });

  describe('the graph of references', () => {
    it('refuses a reference to an object the tenant does not have, or that is another tenant\'s (422 CF_ROUTING_INVALID_REFERENCE)', async () => {
      const theirs = await created('/api/routing/voicemail-boxes', { number: '9400', name: 'B box' }, adminB());
      for (const body of [
        { number: '260', name: 'x', forward: { busy: { type: 'extension', id: 'ext_doesnotexist0000' } } },
        { number: '260', name: 'x', voicemailBoxId: theirs.id },
        { number: '260', name: 'x', forward: { noAnswer: { type: 'voicemail', id: theirs.id } } },
      ]) {
        const answer = await call('POST', '/api/routing/extensions', admin(), body);
        expect(answer.statusCode, answer.body).toBe(422);
        expect(answer.json().code).toBe('CF_ROUTING_INVALID_REFERENCE');
        expect(answer.json().details[0]).toMatchObject({ field: expect.any(String), type: expect.any(String), id: expect.any(String) });
      }
      const group = await call('POST', '/api/routing/ring-groups', admin(), { name: 'Ghosts', members: [{ extensionId: 'ext_ghost' }] });
      expect(group.json()).toMatchObject({ code: 'CF_ROUTING_INVALID_REFERENCE', details: [{ field: 'members', type: 'extension', id: 'ext_ghost' }] });
      expect((await call('GET', '/api/routing/extensions', admin())).json().items.filter((e: { number: string }) => e.number === '260')).toEqual([]);
    });

    it('refuses deleting an object in use (409 CF_ROUTING_IN_USE, listing the users), and allows it once unused', async () => {
      const box = await created('/api/routing/voicemail-boxes', { number: '9500', name: 'Shared' });
      const ext = await created('/api/routing/extensions', { number: '270', name: 'User', voicemailBoxId: box.id });
      const ann = await created('/api/routing/announcements', { name: 'Then voicemail', prompt: { kind: 'audio', audioId: 'aud_1' }, next: { type: 'voicemail', id: box.id } });
      const refused = await call('DELETE', `/api/routing/voicemail-boxes/${box.id}`, admin());
      expect(refused.statusCode).toBe(409);
      expect(refused.json().code).toBe('CF_ROUTING_IN_USE');
      expect(refused.json().details).toEqual([
        { kind: 'extension', id: ext.id, field: 'voicemailBoxId' },
        { kind: 'announcement', id: ann.id, field: 'next' },
      ]);
      expect((await call('GET', `/api/routing/voicemail-boxes/${box.id}`, admin())).statusCode).toBe(200);
      expect((await call('DELETE', `/api/routing/announcements/${ann.id}`, admin())).statusCode).toBe(204);
      expect((await call('DELETE', `/api/routing/extensions/${ext.id}`, admin())).statusCode).toBe(204);
      expect((await call('DELETE', `/api/routing/voicemail-boxes/${box.id}`, admin())).statusCode).toBe(204);
    });

    it('refuses a change that would make a loop of announcements (422 CF_ROUTING_INVALID), but not an IVR that comes back to itself', async () => {
      const first = await created('/api/routing/announcements', { name: 'One', prompt: { kind: 'text', text: 'one' } });
      const second = await created('/api/routing/announcements', { name: 'Two', prompt: { kind: 'text', text: 'two' }, next: { type: 'announcement', id: first.id } });
      const loop = await call('PUT', `/api/routing/announcements/${first.id}`, admin(), { name: 'One', prompt: { kind: 'text', text: 'one' }, next: { type: 'announcement', id: second.id } });
      expect(loop.statusCode, loop.body).toBe(422);
      expect(loop.json().code).toBe('CF_ROUTING_INVALID');
      expect(loop.json().details[0].loop.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([first.id, second.id]));
      const self = await call('PUT', `/api/routing/announcements/${first.id}`, admin(), { name: 'One', prompt: { kind: 'text', text: 'one' }, next: { type: 'announcement', id: first.id } });
      expect(self.statusCode).toBe(422);
      expect((await call('GET', `/api/routing/announcements/${first.id}`, admin())).json().next).toEqual({ type: 'hangup' });
      // An always-forward into the loop counts too.
      const ext = await created('/api/routing/extensions', { number: '280', name: 'Forwarder', forward: { always: { type: 'announcement', id: second.id } } });
      const viaExt = await call('PUT', `/api/routing/announcements/${first.id}`, admin(), { name: 'One', prompt: { kind: 'text', text: 'one' }, next: { type: 'extension', id: ext.id } });
      expect(viaExt.statusCode, viaExt.body).toBe(422);
      // An IVR whose option or failover comes back to it is bounded by the flow machine at run time.
      const menu = await created('/api/routing/ivr-menus', { name: 'Again', prompt: { kind: 'text', text: 'menu' } });
      const again = await call('PUT', `/api/routing/ivr-menus/${menu.id}`, admin(), { name: 'Again', prompt: { kind: 'text', text: 'menu' }, options: { '0': { type: 'ivr', id: menu.id } }, failover: { type: 'ivr', id: menu.id } });
      expect(again.statusCode, again.body).toBe(200);
      expect((await call('DELETE', `/api/routing/ivr-menus/${menu.id}`, admin())).statusCode).toBe(204);
    });

    it("keeps internal numbers apart: an extension's number is no ring group's or conference's (409 CF_CONFLICT)", async () => {
      await created('/api/routing/extensions', { number: '290', name: 'Taken' });
      for (const [path, body] of [
        ['extensions', { number: '290', name: 'Same' }],
        ['ring-groups', { name: 'Group', number: '290', members: [] }],
        ['conferences', { name: 'Room', number: '290' }],
      ] as const) {
        const answer = await call('POST', `/api/routing/${path}`, admin(), body);
        expect(answer.statusCode, `${path}: ${answer.body}`).toBe(409);
        expect(answer.json()).toMatchObject({ code: 'CF_CONFLICT', details: [{ field: 'number' }] });
      }
      await created('/api/routing/conferences', { name: 'Room', number: '291' });
      const clash = await call('POST', '/api/routing/extensions', admin(), { number: '291', name: 'Into the room' });
      expect(clash.statusCode).toBe(409);
      // Another tenant has its own numbering.
      await created('/api/routing/extensions', { number: '290', name: 'B 290' }, adminB());
    });
  });

  describe('numbers', () => {
    it("lists the tenant's numbers and sets their routes; another tenant's number is not there", async () => {
      const listed = await call('GET', '/api/routing/numbers', keyOf.a!.reporter!);
      expect(listed.json().items).toEqual([{ number: NUMBER_A, tenantId: tenantA, label: null, destination: null, record: false }]);
      const menu = await created('/api/routing/ivr-menus', { name: 'Front desk', prompt: { kind: 'text', text: 'Welcome' } });
      const set = await call('PUT', `/api/routing/numbers/${encodeURIComponent(NUMBER_A)}`, admin(), { destination: { type: 'ivr', id: menu.id }, record: true });
      expect(set.statusCode, set.body).toBe(200);
      expect(set.json()).toMatchObject({ number: NUMBER_A, destination: { type: 'ivr', id: menu.id }, record: true });
      expect((await call('GET', '/api/routing/numbers', admin())).json().items[0].destination).toEqual({ type: 'ivr', id: menu.id });
      const theirs = await call('PUT', `/api/routing/numbers/${encodeURIComponent(NUMBER_B)}`, admin(), { destination: { type: 'hangup' } });
      expect(theirs.statusCode).toBe(404);
      const ghost = await call('PUT', `/api/routing/numbers/${encodeURIComponent(NUMBER_A)}`, admin(), { destination: { type: 'schedule', id: 'sch_ghost' } });
      expect(ghost.json().code).toBe('CF_ROUTING_INVALID_REFERENCE');
      const inUse = await call('DELETE', `/api/routing/ivr-menus/${menu.id}`, admin());
      expect(inUse.statusCode).toBe(409);
      expect(inUse.json().details).toEqual([{ kind: 'number', id: NUMBER_A, field: 'destination' }]);
      const unrouted = await call('PUT', `/api/routing/numbers/${encodeURIComponent(NUMBER_A)}`, admin(), { destination: null });
      expect(unrouted.json()).toMatchObject({ destination: null, record: false });
      expect((await call('DELETE', `/api/routing/ivr-menus/${menu.id}`, admin())).statusCode).toBe(204);
      const [b] = (await call('GET', '/api/routing/numbers', adminB())).json().items;
      expect(b).toMatchObject({ number: NUMBER_B, destination: null });
    });
  });

  describe('voicemail messages', () => {
    it('lists, marks heard and deletes a box\'s messages, in its tenant only', async () => {
      const box = await created('/api/routing/voicemail-boxes', { number: '9600', name: 'Inbox' });
      const older = await app.routing.addMessage(tenantA, box.id, { callId: 'call-1', from: '+4917000001', durationS: 12, recordingId: 'rec-1' });
      const newer = await app.routing.addMessage(tenantA, box.id, { callId: null, from: null, durationS: 3, recordingId: 'rec-2' });
      await expect(app.routing.addMessage(tenantB, box.id, { callId: null, from: null, durationS: 1, recordingId: 'rec-x' })).rejects.toMatchObject({ code: 'CF_NOT_FOUND' });
      const listed = await call('GET', `/api/routing/voicemail-boxes/${box.id}/messages`, keyOf.a!.agent!);
      expect(listed.statusCode, listed.body).toBe(200);
      expect(listed.json().items.map((m: { id: string }) => m.id).sort()).toEqual([older.id, newer.id].sort());
      expect(listed.json().items.find((m: { id: string }) => m.id === older.id)).toMatchObject({ from: '+4917000001', durationS: 12, heard: false, boxId: box.id });
      const heard = await call('PATCH', `/api/routing/voicemail-boxes/${box.id}/messages/${older.id}`, admin(), { heard: true });
      expect(heard.json()).toMatchObject({ id: older.id, heard: true });
      expect((await call('GET', `/api/routing/voicemail-boxes/${box.id}/messages`, adminB())).statusCode).toBe(404);
      expect((await call('PATCH', `/api/routing/voicemail-boxes/${box.id}/messages/${older.id}`, adminB(), { heard: false })).statusCode).toBe(404);
      expect((await call('DELETE', `/api/routing/voicemail-boxes/${box.id}/messages/${older.id}`, adminB())).statusCode).toBe(404);
      expect((await call('DELETE', `/api/routing/voicemail-boxes/${box.id}/messages/${older.id}`, keyOf.a!.reporter!)).statusCode).toBe(403);
      expect((await call('DELETE', `/api/routing/voicemail-boxes/${box.id}/messages/${older.id}`, admin())).statusCode).toBe(204);
      expect((await call('GET', `/api/routing/voicemail-boxes/${box.id}/messages`, admin())).json().items.map((m: { id: string }) => m.id)).toEqual([newer.id]);
      // A box goes with its messages.
      expect((await call('DELETE', `/api/routing/voicemail-boxes/${box.id}`, admin())).statusCode).toBe(204);
      const [left] = await app.store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM voicemail_messages WHERE box_id = $1', [box.id]);
      expect(left!.n).toBe(0);
    });
  });

  describe('tenants, roles and the audit log', () => {
    it("keeps tenants apart: another tenant's objects are 404 to read, change or delete, and absent from lists", async () => {
      const mine = await created('/api/routing/announcements', { name: 'A secret', prompt: { kind: 'text', text: 'marker-of-a' } });
      const body = { name: 'Taken over', prompt: { kind: 'text', text: 'b was here' } };
      expect((await call('GET', `/api/routing/announcements/${mine.id}`, adminB())).statusCode).toBe(404);
      expect((await call('PUT', `/api/routing/announcements/${mine.id}`, adminB(), body)).statusCode).toBe(404);
      expect((await call('DELETE', `/api/routing/announcements/${mine.id}`, adminB())).statusCode).toBe(404);
      // Naming tenant A in the header does not help a tenant B key.
      expect((await call('GET', `/api/routing/announcements/${mine.id}`, { ...adminB(), 'x-tenant-id': tenantA })).statusCode).toBe(404);
      const theirs = await call('GET', '/api/routing/announcements', adminB());
      expect(theirs.body).not.toContain('marker-of-a');
      expect((await call('GET', `/api/routing/announcements/${mine.id}`, admin())).json().name).toBe('A secret');
      // An operator acts in the tenant it names, and must name one.
      expect((await call('GET', `/api/routing/announcements/${mine.id}`, platform(tenantA))).statusCode).toBe(200);
      expect((await call('GET', `/api/routing/announcements/${mine.id}`, platform(tenantB))).statusCode).toBe(404);
      expect((await call('GET', '/api/routing/announcements', platform())).statusCode).toBe(400);
    });

    it('lets agents and reporters read but not write; owners and admins write', async () => {
      const ann = await created('/api/routing/announcements', { name: 'Roles', prompt: { kind: 'text', text: 'roles' } }, keyOf.a!.owner!);
      const body = { name: 'Changed', prompt: { kind: 'text', text: 'changed' } };
      for (const role of ['agent', 'reporter']) {
        const headers = keyOf.a![role]!;
        expect((await call('GET', '/api/routing/announcements', headers)).statusCode).toBe(200);
        expect((await call('GET', '/api/routing/numbers', headers)).statusCode).toBe(200);
        expect((await call('POST', '/api/routing/announcements', headers, body)).statusCode).toBe(403);
        expect((await call('PUT', `/api/routing/announcements/${ann.id}`, headers, body)).statusCode).toBe(403);
        expect((await call('DELETE', `/api/routing/announcements/${ann.id}`, headers)).statusCode).toBe(403);
        expect((await call('PUT', `/api/routing/numbers/${encodeURIComponent(NUMBER_A)}`, headers, { destination: null })).statusCode).toBe(403);
      }
      expect((await call('PUT', `/api/routing/announcements/${ann.id}`, admin(), body)).statusCode).toBe(200);
      expect((await call('DELETE', `/api/routing/announcements/${ann.id}`, keyOf.a!.owner!)).statusCode).toBe(204);
    });

    it('audits every change in the tenant, with the actor and the object before and after', async () => {
      const entries = (await call('GET', '/api/audit?limit=500', admin())).json().items as { action: string; tenantId: string; actor: { kind: string }; targetId: string | null; before: unknown; after: unknown }[];
      expect(entries.every((e) => e.tenantId === tenantA)).toBe(true);
      const actions = new Set(entries.map((e) => e.action));
      for (const action of [
        'routing.extension.create',
        'routing.extension.update',
        'routing.extension.delete',
        'routing.ring_group.create',
        'routing.ring_group.update',
        'routing.ivr_menu.create',
        'routing.schedule.create',
        'routing.voicemail_box.create',
        'routing.voicemail_box.update',
        'routing.conference.create',
        'routing.announcement.create',
        'routing.announcement.delete',
        'routing.number.update',
        'routing.voicemail_message.update',
        'routing.voicemail_message.delete',
      ]) {
        expect(actions, action).toContain(action);
      }
      const update = entries.find((e) => e.action === 'routing.extension.update')!;
      expect(update.actor.kind).toBe('api-key');
      expect(update.before).toMatchObject({ name: 'Anna' });
      expect(update.after).toMatchObject({ name: 'Anna K.' });
      // Refused changes leave no entry.
      expect(entries.some((e) => e.action === 'routing.extension.create' && JSON.stringify(e.after).includes('"260"'))).toBe(false);
      const bEntries = (await call('GET', '/api/audit?limit=500', adminB())).json().items as { action: string }[];
      expect(bEntries.some((e) => e.action === 'routing.number.update')).toBe(false);
    });
  });

  describe('SIP passwords of extensions', () => {
    it('shows the password once at creation, never in reads or the audit log, stores it sealed, and resets it (audited)', async () => {
      const made = await call('POST', '/api/routing/extensions', admin(), { number: '270', name: 'Sip Sam' });
      expect(made.statusCode, made.body).toBe(201);
      const { id, endpoint, sipPassword } = made.json() as { id: string; endpoint: string; sipPassword: string };
      expect(endpoint).toBe('acme-270');
      expect(sipPassword).toMatch(/^[A-Za-z0-9]{20,}$/);
      expect(made.headers['cache-control']).toBe('no-store');

      const one = await call('GET', `/api/routing/extensions/${id}`, admin());
      expect(one.statusCode).toBe(200);
      expect(one.json()).not.toHaveProperty('sipPassword');
      expect(one.body).not.toContain(sipPassword);
      const list = await call('GET', '/api/routing/extensions', admin());
      expect(list.body).not.toContain(sipPassword);
      expect(list.body).not.toContain('sipPassword');
      const updated = await call('PUT', `/api/routing/extensions/${id}`, admin(), { number: '270', name: 'Sip Samuel' });
      expect(updated.statusCode).toBe(200);
      expect(updated.json()).not.toHaveProperty('sipPassword');

      // Sealed at rest: reversible for the engine (it pushes it to Asterisk again), not readable in the database.
      const [row] = await app.store.sql.query<{ sip_password_sealed: string }>('SELECT sip_password_sealed FROM extensions WHERE id = $1', [id]);
      expect(isSealed(row!.sip_password_sealed)).toBe(true);
      expect(row!.sip_password_sealed).not.toContain(sipPassword);

      // Agents and reporters cannot reset; another tenant's extension is not there.
      expect((await call('POST', `/api/routing/extensions/${id}/sip-password`, keyOf.a!.agent!)).statusCode).toBe(403);
      expect((await call('POST', `/api/routing/extensions/${id}/sip-password`, adminB())).statusCode).toBe(404);
      expect((await call('POST', '/api/routing/extensions/ext_nosuchthing/sip-password', admin())).statusCode).toBe(404);

      const reset = await call('POST', `/api/routing/extensions/${id}/sip-password`, admin());
      expect(reset.statusCode, reset.body).toBe(200);
      const fresh = reset.json() as { id: string; endpoint: string; sipPassword: string };
      expect(fresh).toMatchObject({ id, endpoint: 'acme-270' });
      expect(fresh.sipPassword).toMatch(/^[A-Za-z0-9]{20,}$/);
      expect(fresh.sipPassword).not.toBe(sipPassword);
      expect(reset.headers['cache-control']).toBe('no-store');
      const [after] = await app.store.sql.query<{ sip_password_sealed: string }>('SELECT sip_password_sealed FROM extensions WHERE id = $1', [id]);
      expect(after!.sip_password_sealed).not.toBe(row!.sip_password_sealed);
      expect((await call('GET', `/api/routing/extensions/${id}`, admin())).body).not.toContain(fresh.sipPassword);

      const audit = await call('GET', '/api/audit?limit=500', admin());
      expect(audit.body).not.toContain(sipPassword);
      expect(audit.body).not.toContain(fresh.sipPassword);
      const entries = audit.json().items as { action: string; targetId: string | null; actor: { kind: string }; after: unknown }[];
      const resetEntry = entries.find((e) => e.action === 'routing.extension.sip_password_reset' && e.targetId === id);
      expect(resetEntry).toMatchObject({ actor: { kind: 'api-key' }, after: { endpoint: 'acme-270' } });
      // The refused resets left no entry.
      expect(entries.filter((e) => e.action === 'routing.extension.sip_password_reset')).toHaveLength(1);
      // No ARI server configured: nothing to provision on.
      const status = await call('GET', `/api/routing/extensions/${id}/provisioning`, keyOf.a!.reporter!);
      expect(status.statusCode, status.body).toBe(200);
      expect(status.json()).toEqual({ id, endpoint: 'acme-270', enabled: true, hasSipPassword: true, provisioned: false, servers: [] });
      expect(status.body).not.toContain(fresh.sipPassword);
      expect((await call('GET', `/api/routing/extensions/${id}/provisioning`, adminB())).statusCode).toBe(404);

      expect((await call('DELETE', `/api/routing/extensions/${id}`, admin())).statusCode).toBe(204);
      expect((await call('GET', `/api/routing/extensions/${id}/provisioning`, admin())).statusCode).toBe(404);
    });
  });

  describe('the OpenAPI document', () => {
    it('documents the routing operations with their permissions and named schemas, without PIN hashes', async () => {
      const doc = (await call('GET', '/docs/json', platform())).json();
      expect(doc.paths['/api/routing/extensions'].post.description).toContain('routing:write');
      expect(doc.paths['/api/routing/extensions'].get.description).toContain('routing:read');
      expect(Object.keys(doc.paths['/api/routing/numbers/{number}'])).toContain('put');
      expect(doc.paths['/api/routing/voicemail-boxes/{id}/messages/{messageId}']).toBeDefined();
      for (const name of ['Extension', 'RingGroup', 'IvrMenu', 'Schedule', 'VoicemailBox', 'ConferenceRoom', 'Announcement', 'NumberRoute', 'RoutingDestination', 'RoutingPrompt', 'ExtensionBody']) {
        expect(doc.components.schemas[name], name).toBeDefined();
      }
      expect(Object.keys(doc.components.schemas.VoicemailBox.properties)).toContain('hasPin');
      expect(JSON.stringify(doc.components.schemas.VoicemailBox)).not.toMatch(/pinHash|"pin"/);
    });
  });

  describe('the store', () => {
    it("gives a snapshot of one tenant's routing, and keeps a round-robin position within the members", async () => {
      const a = await created('/api/routing/extensions', { number: '301', name: 'RR 1' });
      const b = await created('/api/routing/extensions', { number: '302', name: 'RR 2' });
      const group = await created('/api/routing/ring-groups', { name: 'RR', strategy: 'round-robin', members: [{ extensionId: a.id }, { extensionId: b.id }] });
      expect(await app.routing.advanceRoundRobin(tenantA, group.id, 1)).toBe(true);
      expect(await app.routing.advanceRoundRobin(tenantB, group.id, 1)).toBe(false);
      let snapshot = await app.routing.snapshot(tenantA);
      expect(snapshot.timezone).toBe('Europe/Berlin');
      expect(snapshot.ringGroups.get(group.id)?.nextIndex).toBe(1);
      expect(snapshot.extensions.get(a.id)?.endpoint).toBe('acme-301');
      expect(snapshot.numbers.get(NUMBER_A)).toEqual({ tenantId: tenantA, number: NUMBER_A, destination: null, record: false });
      expect([...snapshot.extensions.values()].every((e) => e.tenantId === tenantA)).toBe(true);
      await app.routing.advanceRoundRobin(tenantA, group.id, 5);
      snapshot = await app.routing.snapshot(tenantA);
      expect(snapshot.ringGroups.get(group.id)?.nextIndex).toBe(0);
      const b2 = await app.routing.snapshot(tenantB);
      expect(b2.timezone).toBe('Europe/Berlin');
      expect(b2.ringGroups.size).toBe(0);
      expect(b2.voicemailBoxes.size).toBe(1);
    });

    it("runs one tenant's routing changes one after another: concurrent writes cannot both pass their checks", async () => {
      const write = (kind: 'extension' | 'conference', number: string) =>
        kind === 'extension'
          ? app.routing.create('extension', tenantA, { number, name: 'race', callerIdName: null, ringTimeoutS: 20, voicemailBoxId: null, forward: {}, record: false, enabled: true })
          : app.routing.create('conference', tenantA, { name: 'race', number, waitForHost: false, muteOnEntry: false, maxParticipants: 10, announceJoinLeave: false, record: false });
      for (let i = 0; i < 5; i++) {
        const number = `41${i}`;
        const results = await Promise.allSettled([write('extension', number), write('conference', number)]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CF_CONFLICT' } });
      }
      // A delete and a new reference to the same object: one of them is refused, never both done.
      for (let i = 0; i < 5; i++) {
        const box = await app.routing.create('voicemail', tenantA, { number: `97${i}`, name: 'race box', greeting: null, maxMessageS: 60 });
        const [deleted, referenced] = await Promise.allSettled([
          app.routing.delete('voicemail', tenantA, box.id),
          app.routing.create('announcement', tenantA, { name: 'race', prompt: { kind: 'text', text: 'x' }, next: { type: 'voicemail', id: box.id } }),
        ]);
        const snapshot = await app.routing.snapshot(tenantA);
        if (deleted.status === 'fulfilled') {
          expect(referenced).toMatchObject({ status: 'rejected', reason: { code: 'CF_ROUTING_INVALID_REFERENCE' } });
          expect(snapshot.voicemailBoxes.has(box.id)).toBe(false);
        } else {
          expect(deleted.reason).toMatchObject({ code: 'CF_ROUTING_IN_USE' });
          expect(referenced.status).toBe('fulfilled');
        }
        const dangling = [...snapshot.announcements.values()].filter((a) => a.next.type === 'voicemail' && !snapshot.voicemailBoxes.has((a.next as { id: string }).id));
        expect(dangling).toEqual([]);
      }
    });
  });
});
