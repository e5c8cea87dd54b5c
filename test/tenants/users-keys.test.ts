import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/tenants/model.ts';
import { hashPassword, verifyPassword } from '../../src/tenants/passwords.ts';
import { TenantStore } from '../../src/tenants/tenant-store.ts';
import { hashToken, newApiKey, newCsrfToken, newSessionToken } from '../../src/tenants/tokens.ts';
import { uniqueId } from '../support/call-factory.ts';
import { storeKinds, useTestStore } from '../support/test-store.ts';

// Users, sessions and API keys against each store kind. Every e-mail address and slug is unique, so tests
// sharing the database never meet.

const email = (name = 'user') => `${uniqueId(name)}@Example.TEST`;
const HOUR = 3_600_000;

describe.each(storeKinds())('tenant store: users, sessions, keys (%s)', (kind) => {
  const testStore = useTestStore(kind);
  let store: TenantStore;
  // One real hash for the suite: scrypt is deliberately slow. The store never looks inside it.
  let passwordHash: string;
  beforeAll(async () => {
    passwordHash = await hashPassword('correct horse battery');
  });
  beforeEach(() => {
    store = new TenantStore(testStore().store.sql);
  });

  const newTenant = (): Promise<Tenant> => store.createTenant({ name: 'Acme', slug: uniqueId('t').toLowerCase(), timezone: 'UTC' });

  it('creates users with lower-case addresses and finds them for login in any case', async () => {
    const tenant = await newTenant();
    const address = email('Ann');
    const user = await store.createUser({ tenantId: tenant.id, email: ` ${address} `, name: 'Ann', role: 'agent', extensions: ['100', '101'], passwordHash });
    expect(user).toMatchObject({ tenantId: tenant.id, email: address.toLowerCase(), name: 'Ann', role: 'agent', extensions: ['100', '101'], status: 'active' });
    expect(user.id).toMatch(/^u_[a-z2-7]{16}$/);
    expect(user).not.toHaveProperty('passwordHash');
    expect(await store.getUser(user.id)).toEqual(user);

    const found = await store.findUserForLogin(address.toUpperCase());
    expect(found?.user).toEqual(user);
    expect(await verifyPassword('correct horse battery', found!.passwordHash)).toBe(true);
    expect(await store.findUserForLogin(`nobody-${address}`)).toBeNull();

    await expect(
      store.createUser({ tenantId: tenant.id, email: address.toUpperCase(), name: 'Copy', role: 'admin', passwordHash }),
    ).rejects.toMatchObject({ code: 'CF_CONFLICT', details: [{ field: 'email' }] });
    await expect(store.createUser({ tenantId: tenant.id, email: 'not an address', name: 'X', role: 'admin', passwordHash })).rejects.toMatchObject({
      code: 'CF_REQUEST_INVALID',
    });
    await expect(store.createUser({ tenantId: 't_nosuchtenant', email: email(), name: 'X', role: 'admin', passwordHash })).rejects.toMatchObject({
      code: 'CF_NOT_FOUND',
    });
  });

  it('keeps operators without a tenant and tenant users out of the operator role', async () => {
    const tenant = await newTenant();
    const operator = await store.createUser({ tenantId: null, email: email('op'), name: 'Op', role: 'operator', passwordHash });
    expect(operator).toMatchObject({ tenantId: null, role: 'operator', extensions: [] });
    expect((await store.listUsers(null)).map((u) => u.id)).toContain(operator.id);

    await expect(store.createUser({ tenantId: null, email: email(), name: 'X', role: 'admin', passwordHash })).rejects.toMatchObject({
      code: 'CF_REQUEST_INVALID',
    });
    await expect(store.createUser({ tenantId: tenant.id, email: email(), name: 'X', role: 'operator', passwordHash })).rejects.toMatchObject({
      code: 'CF_REQUEST_INVALID',
    });
    // The database holds the same rule for changes that do not go through createUser.
    const owner = await store.createUser({ tenantId: tenant.id, email: email(), name: 'Owner', role: 'owner', passwordHash });
    await expect(store.updateUser(owner.id, { role: 'operator' })).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(store.updateUser(operator.id, { role: 'admin' })).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    expect((await store.getUser(owner.id))!.role).toBe('owner');
  });

  it('lists, updates and deletes a tenant\'s users', async () => {
    const tenant = await newTenant();
    const other = await newTenant();
    const a = await store.createUser({ tenantId: tenant.id, email: email('a'), name: 'A', role: 'admin', passwordHash });
    const b = await store.createUser({ tenantId: tenant.id, email: email('b'), name: 'B', role: 'agent', passwordHash });
    await store.createUser({ tenantId: other.id, email: email('c'), name: 'C', role: 'admin', passwordHash });
    expect((await store.listUsers(tenant.id)).map((u) => u.id)).toEqual([a.id, b.id]);

    const updated = await store.updateUser(b.id, { name: 'Bea', role: 'reporter', extensions: ['200'], status: 'disabled' });
    expect(updated).toMatchObject({ id: b.id, email: b.email, name: 'Bea', role: 'reporter', extensions: ['200'], status: 'disabled' });
    expect(await store.updateUser(b.id, {})).toMatchObject({ name: 'Bea', extensions: ['200'] });
    expect(await store.updateUser('u_nosuchuser', { name: 'X' })).toBeNull();

    const before = (await store.getUser(a.id))!.passwordChangedAt;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await store.setPasswordHash(a.id, 'scrypt$new')).toBe(true);
    expect((await store.findUserForLogin(a.email))!.passwordHash).toBe('scrypt$new');
    expect(Date.parse((await store.getUser(a.id))!.passwordChangedAt)).toBeGreaterThan(Date.parse(before));
    expect(await store.setPasswordHash('u_nosuchuser', 'x')).toBe(false);

    expect(await store.deleteUser(b.id)).toBe(true);
    expect(await store.deleteUser(b.id)).toBe(false);
    expect((await store.listUsers(tenant.id)).map((u) => u.id)).toEqual([a.id]);
  });

  it('finds live sessions only: not expired, not of a disabled or deleted user', async () => {
    const tenant = await newTenant();
    const user = await store.createUser({ tenantId: tenant.id, email: email(), name: 'S', role: 'admin', passwordHash });
    const now = new Date('2026-12-01T10:00:00.000Z');
    const { token, hash } = newSessionToken();
    const csrfToken = newCsrfToken();
    const created = await store.createSession({ tokenHash: hash, userId: user.id, tenantId: tenant.id, csrfToken, expiresAt: new Date(now.getTime() + HOUR) });
    expect(created).toMatchObject({ tokenHash: hash, userId: user.id, tenantId: tenant.id, csrfToken, expiresAt: '2026-12-01T11:00:00.000Z' });

    const live = await store.getSession(hashToken(token), now);
    expect(live?.session).toEqual(created);
    expect(live?.user).toEqual(await store.getUser(user.id));
    expect(await store.getSession(hash, new Date(now.getTime() + HOUR))).toBeNull();
    expect(await store.getSession(hashToken('another token'), now)).toBeNull();

    // Touching slides the expiry; an expired session cannot be revived.
    const later = new Date(now.getTime() + 50 * 60_000);
    expect(await store.touchSession(hash, later, new Date(later.getTime() + HOUR))).toBe(true);
    const touched = await store.getSession(hash, new Date(now.getTime() + 90 * 60_000));
    expect(touched?.session).toMatchObject({ lastSeenAt: later.toISOString(), expiresAt: new Date(later.getTime() + HOUR).toISOString() });
    expect(await store.touchSession(hash, new Date(now.getTime() + 3 * HOUR), new Date(now.getTime() + 4 * HOUR))).toBe(false);

    const fresh = newSessionToken();
    await store.createSession({ tokenHash: fresh.hash, userId: user.id, tenantId: tenant.id, csrfToken, expiresAt: new Date(now.getTime() + HOUR) });
    await store.updateUser(user.id, { status: 'disabled' });
    expect(await store.getSession(fresh.hash, now)).toBeNull();
    await store.updateUser(user.id, { status: 'active' });
    expect(await store.getSession(fresh.hash, now)).not.toBeNull();
    await store.deleteUser(user.id);
    expect(await store.getSession(fresh.hash, now)).toBeNull();
  });

  it('switches an operator\'s tenant, ends sessions, and purges expired ones', async () => {
    const tenant = await newTenant();
    const operator = await store.createUser({ tenantId: null, email: email('op'), name: 'Op', role: 'operator', passwordHash });
    const now = new Date();
    const tokens = [newSessionToken(), newSessionToken(), newSessionToken()];
    for (const { hash } of tokens) {
      await store.createSession({ tokenHash: hash, userId: operator.id, tenantId: null, csrfToken: newCsrfToken(), expiresAt: new Date(now.getTime() + HOUR) });
    }
    const [keep, drop, other] = tokens.map((t) => t.hash) as [string, string, string];
    expect(await store.setSessionTenant(keep, tenant.id)).toBe(true);
    expect((await store.getSession(keep, now))!.session.tenantId).toBe(tenant.id);
    await expect(store.setSessionTenant(keep, 't_nosuchtenant')).rejects.toMatchObject({ code: 'CF_NOT_FOUND' });
    expect(await store.setSessionTenant(keep, null)).toBe(true);
    expect(await store.setSessionTenant(hashToken('nothing'), tenant.id)).toBe(false);

    expect(await store.deleteSession(other)).toBe(true);
    expect(await store.deleteSession(other)).toBe(false);
    expect(await store.deleteUserSessions(operator.id, keep)).toBe(1);
    expect(await store.getSession(drop, now)).toBeNull();
    expect(await store.getSession(keep, now)).not.toBeNull();
    expect(await store.deleteUserSessions(operator.id)).toBe(1);
    expect(await store.getSession(keep, now)).toBeNull();

    const old = newSessionToken();
    const current = newSessionToken();
    const past = new Date('2000-01-01T00:00:00.000Z');
    await store.createSession({ tokenHash: old.hash, userId: operator.id, tenantId: null, csrfToken: 'c', expiresAt: past });
    await store.createSession({ tokenHash: current.hash, userId: operator.id, tenantId: null, csrfToken: 'c', expiresAt: new Date(now.getTime() + HOUR) });
    // Other tests may leave expired sessions behind too: at least this one goes, and the live one stays.
    expect(await store.purgeExpiredSessions(now)).toBeGreaterThanOrEqual(1);
    expect(await store.deleteSession(old.hash)).toBe(false);
    expect(await store.getSession(current.hash, now)).not.toBeNull();
  });

  it('stores API keys by hash, scopes revocation to the tenant, and records last use in one batch', async () => {
    const tenant = await newTenant();
    const other = await newTenant();
    const generated = newApiKey();
    const key = await store.createApiKey({ tenantId: tenant.id, name: 'Reports', role: 'reporter', keyHash: generated.hash, prefix: generated.prefix, createdBy: 'u_creator' });
    expect(key).toMatchObject({ tenantId: tenant.id, name: 'Reports', role: 'reporter', prefix: generated.prefix, createdBy: 'u_creator', lastUsedAt: null, revokedAt: null });
    expect(key.id).toMatch(/^k_[a-z2-7]{16}$/);
    expect(key).not.toHaveProperty('keyHash');
    expect(await store.findApiKey(hashToken(generated.key))).toEqual(key);
    expect(await store.findApiKey(hashToken('cfk_unknown'))).toBeNull();
    await expect(
      store.createApiKey({ tenantId: other.id, name: 'Copy', role: 'admin', keyHash: generated.hash, prefix: 'x', createdBy: null }),
    ).rejects.toMatchObject({ code: 'CF_CONFLICT' });
    await expect(
      store.createApiKey({ tenantId: tenant.id, name: 'Op', role: 'operator' as 'admin', keyHash: newApiKey().hash, prefix: 'x', createdBy: null }),
    ).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });

    const second = newApiKey();
    const key2 = await store.createApiKey({ tenantId: tenant.id, name: 'Ingest', role: 'admin', keyHash: second.hash, prefix: second.prefix, createdBy: null });
    const otherKey = newApiKey();
    const key3 = await store.createApiKey({ tenantId: other.id, name: 'Theirs', role: 'agent', keyHash: otherKey.hash, prefix: otherKey.prefix, createdBy: null });
    expect((await store.listApiKeys(tenant.id)).map((k) => k.id)).toEqual([key.id, key2.id]);

    // Another tenant's key id is not found in this tenant, and stays as it was.
    expect(await store.revokeApiKey(tenant.id, key3.id)).toBe(false);
    expect(await store.findApiKey(otherKey.hash)).toEqual(key3);
    expect(await store.revokeApiKey(tenant.id, key.id)).toBe(true);
    const revoked = await store.findApiKey(generated.hash);
    expect(revoked!.revokedAt).not.toBeNull();
    expect(await store.revokeApiKey(tenant.id, key.id)).toBe(true);
    expect((await store.findApiKey(generated.hash))!.revokedAt).toBe(revoked!.revokedAt);

    const t1 = new Date('2026-12-01T10:00:00.000Z');
    const t2 = new Date('2026-12-01T10:05:00.000Z');
    expect(await store.touchApiKeys(new Map([[key2.id, t2], [key3.id, t1], ['k_nosuchkey', t1]]))).toBe(2);
    // An older time flushed late does not move last use backwards.
    expect(await store.touchApiKeys(new Map([[key2.id, t1]]))).toBe(0);
    expect((await store.findApiKey(second.hash))!.lastUsedAt).toBe(t2.toISOString());
    expect((await store.findApiKey(otherKey.hash))!.lastUsedAt).toBe(t1.toISOString());
    expect(await store.touchApiKeys(new Map())).toBe(0);
  });
});
