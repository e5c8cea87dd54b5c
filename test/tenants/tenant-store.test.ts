import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, type NewAuditEntry } from '../../src/tenants/model.ts';
import { TenantStore } from '../../src/tenants/tenant-store.ts';
import { uniqueId } from '../support/call-factory.ts';
import { storeKinds, useTestStore } from '../support/test-store.ts';

// Tenants, rules, numbers, CRM settings and the audit log against each store kind. Tests share a database,
// so every slug and number is unique and every assertion looks only at its own tenant's rows.

const slug = () => uniqueId('t').toLowerCase();
const number = () => `+1555${uniqueId('').replace(/\D/g, '').slice(-10)}`;

describe.each(storeKinds())('tenant store: tenants, rules, numbers, audit (%s)', (kind) => {
  const testStore = useTestStore(kind);
  let store: TenantStore;
  beforeEach(() => {
    store = new TenantStore(testStore().store.sql);
  });

  const newTenant = (name = 'Acme') => store.createTenant({ name, slug: slug(), timezone: 'Europe/Berlin' });

  it('has the default tenant from the migration', async () => {
    const tenant = await store.getTenant(DEFAULT_TENANT_ID);
    expect(tenant).toMatchObject({ id: 'default', name: 'Default', slug: 'default', timezone: 'UTC', status: 'active', settings: {} });
    expect((await store.listTenants()).map((t) => t.id)).toContain('default');
  });

  it('creates, reads and updates tenants; a taken slug is a conflict', async () => {
    const created = await store.createTenant({ name: ' Acme ', slug: slug(), timezone: 'America/New_York', settings: { locale: 'en' } });
    expect(created.id).toMatch(/^t_[a-z2-7]{16}$/);
    expect(created).toMatchObject({ name: 'Acme', timezone: 'America/New_York', status: 'active', settings: { locale: 'en' } });
    expect(Date.parse(created.createdAt)).not.toBeNaN();
    expect(await store.getTenant(created.id)).toEqual(created);

    const updated = await store.updateTenant(created.id, { status: 'suspended', settings: { locale: 'de' } });
    expect(updated).toMatchObject({ id: created.id, name: 'Acme', slug: created.slug, status: 'suspended', settings: { locale: 'de' } });
    expect(Date.parse(updated!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    expect(await store.updateTenant('t_nosuchtenant', { name: 'x' })).toBeNull();

    const other = await newTenant('Other');
    await expect(store.createTenant({ name: 'Copy', slug: created.slug, timezone: 'UTC' })).rejects.toMatchObject({
      code: 'CF_CONFLICT',
      details: [{ field: 'slug' }],
    });
    await expect(store.updateTenant(other.id, { slug: created.slug })).rejects.toMatchObject({ code: 'CF_CONFLICT' });
    expect((await store.getTenant(other.id))!.slug).toBe(other.slug);
  });

  it('refuses bad slugs, names and time zones', async () => {
    await expect(store.createTenant({ name: 'A', slug: 'Upper', timezone: 'UTC' })).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(store.createTenant({ name: 'A', slug: 'x'.repeat(64), timezone: 'UTC' })).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(store.createTenant({ name: ' ', slug: slug(), timezone: 'UTC' })).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(store.createTenant({ name: 'A', slug: slug(), timezone: 'Mars/Olympus' })).rejects.toMatchObject({
      code: 'CF_REQUEST_INVALID',
      details: [{ field: 'timezone' }],
    });
    // The database refuses what slips past the code (a status outside the enum, via a cast).
    const tenant = await newTenant();
    await expect(store.updateTenant(tenant.id, { status: 'deleted' as 'active' })).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(
      testStore().store.sql.query("UPDATE tenants SET status = 'deleted' WHERE id = $1", [tenant.id]),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('replaces a tenant\'s rules in order and lists all rules by position', async () => {
    const a = await newTenant('A');
    const b = await newTenant('B');
    await store.replaceRules(a.id, [{ server: 'pbx-a' }, { context: 'from-a', calledNumber: true }]);
    const bRules = await store.replaceRules(b.id, [{ endpoint: 'b-*' }]);
    expect(bRules).toMatchObject([{ tenantId: b.id, position: 1, match: { endpoint: 'b-*' } }]);

    const replaced = await store.replaceRules(a.id, [{ endpoint: 'acme-*' }, { server: 'pbx-a', context: 'x' }, { calledNumber: true }]);
    expect(replaced.map((r) => [r.position, r.match])).toEqual([
      [1, { endpoint: 'acme-*' }],
      [2, { server: 'pbx-a', context: 'x' }],
      [3, { calledNumber: true }],
    ]);
    const all = (await store.listRules()).filter((r) => r.tenantId === a.id || r.tenantId === b.id);
    // Position first; at equal positions, the older rule (B's, written before A's replacement) first.
    expect(all.map((r) => [r.tenantId, r.position])).toEqual([
      [b.id, 1],
      [a.id, 1],
      [a.id, 2],
      [a.id, 3],
    ]);

    // A bad rule fails the whole replacement: the previous rules stay.
    await expect(store.replaceRules(a.id, [{ server: 'ok' }, { server: 7 }])).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(store.replaceRules(a.id, [{}])).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(store.replaceRules(a.id, [{ calledNumber: false }])).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(store.replaceRules(a.id, [{ sever: 'typo' }])).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    expect((await store.listRules()).filter((r) => r.tenantId === a.id)).toEqual(replaced);

    expect(await store.replaceRules(a.id, [])).toEqual([]);
    expect((await store.listRules()).filter((r) => r.tenantId === a.id)).toEqual([]);
    await expect(store.replaceRules('t_nosuchtenant', [{ server: 'x' }])).rejects.toMatchObject({ code: 'CF_NOT_FOUND' });
  });

  it('gives each number to one tenant at most', async () => {
    const a = await newTenant('A');
    const b = await newTenant('B');
    const n = number();
    expect(await store.addNumber(a.id, ` ${n} `, 'Sales')).toMatchObject({ number: n, tenantId: a.id, label: 'Sales' });
    // Adding it again to the same tenant relabels it.
    expect(await store.addNumber(a.id, n, 'Support')).toMatchObject({ number: n, label: 'Support' });
    await expect(store.addNumber(b.id, n)).rejects.toMatchObject({ code: 'CF_CONFLICT', details: [{ field: 'number' }] });
    expect(await store.listNumbers(b.id)).toEqual([]);
    const m = number();
    await store.addNumber(a.id, m);
    expect((await store.listNumbers(a.id)).map((x) => [x.number, x.label])).toEqual([[n, 'Support'], [m, null]].sort());
    expect((await store.listNumbers()).filter((x) => x.tenantId === a.id)).toHaveLength(2);

    expect(await store.removeNumber(b.id, n)).toBe(false);
    expect(await store.removeNumber(a.id, n)).toBe(true);
    expect(await store.removeNumber(a.id, n)).toBe(false);
    expect(await store.addNumber(b.id, n)).toMatchObject({ tenantId: b.id });
    await expect(store.addNumber(a.id, 'has space')).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(store.addNumber('t_nosuchtenant', number())).rejects.toMatchObject({ code: 'CF_NOT_FOUND' });
  });

  it('keeps CRM settings per tenant', async () => {
    const a = await newTenant();
    expect(await store.getTenantCrm(a.id)).toBeNull();
    await store.putTenantCrm(a.id, { bitrix24: { webhookUrl: 'v1:sealed' } });
    const second = await store.putTenantCrm(a.id, { webhooks: [{ url: 'https://example.test', secret: 'v1:x' }] });
    const read = await store.getTenantCrm(a.id);
    expect(read).toEqual(second);
    expect(read!.config).toEqual({ webhooks: [{ url: 'https://example.test', secret: 'v1:x' }] });
    expect(await store.getTenantCrm(DEFAULT_TENANT_ID)).toBeNull();
    await expect(store.putTenantCrm('t_nosuchtenant', {})).rejects.toMatchObject({ code: 'CF_NOT_FOUND' });
  });

  it('pages a tenant\'s audit newest first, apart from other tenants and platform entries', async () => {
    const a = await newTenant();
    const b = await newTenant();
    const action = uniqueId('action');
    const entry = (tenantId: string | null, i: number): NewAuditEntry => ({
      tenantId,
      actor: { kind: 'user', id: 'u_1', name: 'ann@example.test' },
      action,
      targetType: 'number',
      targetId: String(i),
      before: i === 0 ? null : { i: i - 1 },
      after: { i },
    });
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(await store.appendAudit(entry(a.id, i)));
    await store.appendAudit(entry(b.id, 99));
    await store.appendAudit(entry(null, 100));

    const page1 = await store.listAudit({ tenantId: a.id, limit: 3 });
    expect(page1.map((e) => e.id)).toEqual(ids.slice(-3).reverse());
    const page2 = await store.listAudit({ tenantId: a.id, limit: 3, before: page1.at(-1)!.id });
    const page3 = await store.listAudit({ tenantId: a.id, limit: 3, before: page2.at(-1)!.id });
    expect([...page1, ...page2, ...page3].map((e) => e.targetId)).toEqual(['6', '5', '4', '3', '2', '1', '0']);
    expect(page3.at(-1)).toMatchObject({
      tenantId: a.id,
      actor: { kind: 'user', id: 'u_1', name: 'ann@example.test' },
      action,
      targetType: 'number',
      targetId: '0',
      before: null,
      after: { i: 0 },
    });
    expect(Date.parse(page3[0]!.at)).not.toBeNaN();

    const platform = (await store.listAudit({ tenantId: null, limit: 500 })).filter((e) => e.action === action);
    expect(platform.map((e) => e.targetId)).toEqual(['100']);
    const everything = (await store.listAudit({ tenantId: 'all', limit: 500 })).filter((e) => e.action === action);
    expect(everything.map((e) => e.targetId)).toEqual(['100', '99', '6', '5', '4', '3', '2', '1', '0']);
  });

  it('commits a change and its audit entry together, or neither', async () => {
    const tenant = await newTenant('Before');
    const action = uniqueId('rename');
    const audit = (after: unknown): NewAuditEntry => ({
      tenantId: tenant.id,
      actor: { kind: 'system', id: null, name: 'test' },
      action,
      targetType: 'tenant',
      targetId: tenant.id,
      before: { name: 'Before' },
      after,
    });

    await expect(
      store.transaction(async (tx) => {
        await tx.updateTenant(tenant.id, { name: 'Lost' });
        await tx.appendAudit(audit({ name: 'Lost' }));
        throw new Error('the caller changes its mind');
      }),
    ).rejects.toThrow('changes its mind');
    expect((await store.getTenant(tenant.id))!.name).toBe('Before');
    expect(await store.listAudit({ tenantId: tenant.id, limit: 10 })).toEqual([]);

    // appendAudit also joins a transaction opened on the SqlClient by other code.
    await testStore().store.sql.transaction(async (sql) => {
      await new TenantStore(sql).updateTenant(tenant.id, { name: 'After' });
      await store.appendAudit(audit({ name: 'After' }), sql);
    });
    expect((await store.getTenant(tenant.id))!.name).toBe('After');
    expect((await store.listAudit({ tenantId: tenant.id, limit: 10 })).map((e) => e.after)).toEqual([{ name: 'After' }]);
  });
});
