import { beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/domain/call.ts';
import { cacheListings } from '../../src/store/listing-cache.ts';
import { addSeconds, batchOf, makeCall, storeOldRecord, uniqueId } from '../support/call-factory.ts';
import { storeKinds, useTestStore, type TestStore } from '../support/test-store.ts';

// A call's tenant as the store keeps it: in the record and in its own column, which listings, statistics and
// the export filter on. Calls stored before tenants existed are the default tenant's. Each test uses servers
// and tenants of its own, so tests sharing the store do not see each other's calls.

describe.each(storeKinds())('call tenants in the store (%s)', (kind) => {
  const testStore = useTestStore(kind);
  let t: TestStore;
  beforeEach(() => {
    t = testStore();
  });

  /** Three calls of `acme`, two of `globex` (distinct names per test), newest first by position. */
  async function seedTenants(): Promise<{ server: string; acme: string; globex: string; calls: CallRecord[] }> {
    const server = uniqueId('pbx');
    const acme = uniqueId('acme');
    const globex = uniqueId('globex');
    const start = '2026-12-06T09:00:00.000Z';
    const calls = [acme, globex, acme, globex, acme].map((tenantId, i) =>
      makeCall({ server, tenantId, shape: i === 1 ? 'busy' : 'answered', startedAt: addSeconds(start, -60 * i) }),
    );
    await t.store.writeBatch(batchOf({ calls }));
    return { server, acme, globex, calls };
  }

  it('keeps a call’s tenant through writes and reads', async () => {
    const { calls } = await seedTenants();
    const [first] = calls;
    expect(await t.store.getCall(first!.id)).toEqual(first);
    expect((await t.store.getCall(first!.id))?.tenantId).toBe(first!.tenantId);
    const [row] = await t.store.sql.query<{ tenant_id: string }>('SELECT tenant_id FROM calls WHERE id = $1', [first!.id]);
    expect(row?.tenant_id).toBe(first!.tenantId);
  });

  it('lists, pages and exports one tenant’s calls, alone or with other filters', async () => {
    const { server, acme, globex, calls } = await seedTenants();
    const of = (tenantId: string): string[] => calls.filter((c) => c.tenantId === tenantId).map((c) => c.id);
    expect((await t.store.listCalls({ tenantId: acme }, null, 10)).items.map((c) => c.id)).toEqual(of(acme));
    expect((await t.store.listCalls({ tenantId: globex, server }, null, 10)).items.map((c) => c.id)).toEqual(of(globex));
    expect((await t.store.listCalls({ tenantId: globex, disposition: ['busy'] }, null, 10)).items.map((c) => c.id)).toEqual([calls[1]!.id]);
    expect((await t.store.listCalls({ tenantId: acme, number: calls[0]!.from.slice(0, 4) }, null, 10)).items.map((c) => c.id)).toEqual(of(acme));
    expect((await t.store.listCalls({ tenantId: uniqueId('nobody') }, null, 10)).items).toEqual([]);

    const json = await t.store.listCallsJson({ tenantId: acme }, null, 2);
    expect(json.items.map((text) => (JSON.parse(text) as CallRecord).tenantId)).toEqual([acme, acme]);
    const rest = await t.store.listCallsJson({ tenantId: acme }, json.nextCursor, 2);
    expect([...json.items, ...rest.items].map((text) => (JSON.parse(text) as CallRecord).id)).toEqual(of(acme));
    expect(rest.nextCursor).toBeNull();

    const streamed: string[] = [];
    for await (const call of t.store.iterateCalls({ tenantId: globex })) streamed.push(call.id);
    expect(streamed).toEqual(of(globex));
  });

  it('counts statistics over one tenant’s calls', async () => {
    const { server, acme, globex } = await seedTenants();
    expect(await t.store.callStats({ tenantId: acme })).toMatchObject({ total: 3, finished: 3, byDisposition: { answered: 3 } });
    expect(await t.store.callStats({ tenantId: globex, server })).toMatchObject({ total: 2, byDisposition: { answered: 1, busy: 1 } });
    expect(await t.store.callStats({ server })).toMatchObject({ total: 5 });
  });

  it('reads a call stored before tenants existed as the default tenant’s, and lists it under it', async () => {
    const server = uniqueId('pbx');
    const { tenantId: _none, ...old } = makeCall({ server, shape: 'answered' });
    await storeOldRecord(t.store, old);
    expect((await t.store.getCall(old.id))?.tenantId).toBe('default');
    expect((await t.store.listCalls({ server, tenantId: 'default' }, null, 10)).items.map((c) => [c.id, c.tenantId])).toEqual([[old.id, 'default']]);
    const [text] = (await t.store.listCallsJson({ server, tenantId: 'default' }, null, 10)).items;
    expect(JSON.parse(text!)).toMatchObject({ id: old.id, tenantId: 'default' });
    expect(await t.store.callStats({ server, tenantId: 'default' })).toMatchObject({ total: 1 });
  });

  it('keeps cached listings of different tenants apart', async () => {
    const { acme, globex } = await seedTenants();
    const cached = cacheListings(t.store, { maxAgeMs: 60_000, maxBytes: 1 << 20 });
    const tenantsOf = async (tenantId: string): Promise<string[]> =>
      (await cached.listCallsJson({ tenantId }, null, 10)).items.map((text) => (JSON.parse(text) as CallRecord).tenantId);
    expect(await tenantsOf(acme)).toEqual([acme, acme, acme]);
    expect(await tenantsOf(globex)).toEqual([globex, globex]);
    expect(await tenantsOf(acme)).toEqual([acme, acme, acme]);
  });
});
