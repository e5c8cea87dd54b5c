import { beforeEach, describe, expect, it } from 'vitest';
import { cacheListings, listingKey, type ListingCacheOptions, type ListingLookup } from '../../src/store/listing-cache.ts';
import type { CallFilter, CallPageJson, Store } from '../../src/store/types.ts';
import { storeKinds, useTestStore, type TestStore } from '../support/test-store.ts';
import { batchOf, makeCall, uniqueId } from '../support/call-factory.ts';

// The listing cache over a real store. The store underneath is wrapped only to count (and, where a test
// needs it, hold back) the queries that reach the database.

interface Counted {
  store: Store;
  queries: () => number;
  /** Holds every query until the returned function is called. */
  hold: () => () => void;
}

function counted(store: Store): Counted {
  let queries = 0;
  let gate: Promise<void> | null = null;
  return {
    store: {
      ...store,
      async listCallsJson(filter, cursor, limit) {
        queries++;
        if (gate) await gate;
        return store.listCallsJson(filter, cursor, limit);
      },
    },
    queries: () => queries,
    hold: () => {
      let open = (): void => {};
      gate = new Promise<void>((resolve) => (open = resolve));
      return () => {
        gate = null;
        open();
      };
    },
  };
}

const idsOf = (page: CallPageJson): string[] => page.items.map((text) => (JSON.parse(text) as { id: string }).id);

describe.each(storeKinds())('listing cache (%s)', (kind) => {
  const testStore = useTestStore(kind);
  let t: TestStore;
  let server: string;
  let filter: CallFilter;
  let clockMs: number;
  let lookups: ListingLookup[];
  beforeEach(() => {
    t = testStore();
    server = uniqueId('pbx');
    filter = { server };
    clockMs = 0;
    lookups = [];
  });

  function cached(underlying: Store, options: Partial<ListingCacheOptions> = {}): Store {
    return cacheListings(underlying, { maxAgeMs: 1_000, maxBytes: 1 << 20, nowMs: () => clockMs, onLookup: (l) => lookups.push(l), ...options });
  }

  async function seedCalls(n: number): Promise<string[]> {
    const calls = Array.from({ length: n }, (_, i) => makeCall({ server, startedAt: `2026-11-21T04:0${i}:00.000Z` }));
    await t.store.writeBatch(batchOf({ calls }));
    return calls.map((c) => c.id).reverse();
  }

  it('answers a repeated listing from memory, with the page the query gave', async () => {
    const newestFirst = await seedCalls(3);
    const db = counted(t.store);
    const store = cached(db.store);
    const first = await store.listCallsJson(filter, null, 50);
    const second = await store.listCallsJson({ server }, null, 50);
    expect(idsOf(first)).toEqual(newestFirst);
    expect(second).toBe(first);
    expect(db.queries()).toBe(1);
    expect(lookups).toEqual(['miss', 'hit']);
    // Another page size or another filter is another listing.
    await store.listCallsJson(filter, null, 2);
    await store.listCallsJson({ server, status: ['finished'] }, null, 50);
    expect(db.queries()).toBe(3);
  });

  it('shows a call written through it at once', async () => {
    await seedCalls(2);
    const db = counted(t.store);
    const store = cached(db.store);
    const before = await store.listCallsJson(filter, null, 50);
    const call = makeCall({ server, startedAt: '2026-11-21T05:00:00.000Z' });
    await store.writeBatch(batchOf({ calls: [call] }));
    const after = await store.listCallsJson(filter, null, 50);
    expect(idsOf(after)).toEqual([call.id, ...idsOf(before)]);
    expect(db.queries()).toBe(2);
  });

  it('ends its pages when a write fails, since a failed write may still have committed', async () => {
    await seedCalls(1);
    const call = makeCall({ server, startedAt: '2026-11-21T05:00:00.000Z' });
    // The commit reaches the database, its acknowledgment does not.
    const lostAck: Store = {
      ...t.store,
      async writeBatch(batch, options) {
        await t.store.writeBatch(batch, options);
        throw new Error('connection lost after COMMIT');
      },
    };
    const store = cached(lostAck);
    await store.listCallsJson(filter, null, 50);
    await expect(store.writeBatch(batchOf({ calls: [call] }))).rejects.toThrow('connection lost');
    expect(idsOf(await store.listCallsJson(filter, null, 50))[0]).toBe(call.id);
  });

  it('serves a write it did not see (another instance) for at most maxAgeMs', async () => {
    await seedCalls(1);
    const db = counted(t.store);
    const store = cached(db.store, { maxAgeMs: 500 });
    const page = await store.listCallsJson(filter, null, 50);
    const elsewhere = makeCall({ server, startedAt: '2026-11-21T05:00:00.000Z' });
    await t.store.writeBatch(batchOf({ calls: [elsewhere] }));
    clockMs = 500;
    expect(await store.listCallsJson(filter, null, 50)).toBe(page);
    clockMs = 501;
    expect(idsOf(await store.listCallsJson(filter, null, 50))[0]).toBe(elsewhere.id);
    expect(lookups).toEqual(['miss', 'hit', 'miss']);
  });

  it('lets concurrent requests for one listing share its query', async () => {
    const newestFirst = await seedCalls(2);
    const db = counted(t.store);
    const store = cached(db.store);
    const release = db.hold();
    const pages = Array.from({ length: 5 }, () => store.listCallsJson(filter, null, 50));
    release();
    const answered = await Promise.all(pages);
    expect(db.queries()).toBe(1);
    expect(lookups).toEqual(['miss', 'shared', 'shared', 'shared', 'shared']);
    for (const page of answered) expect(idsOf(page)).toEqual(newestFirst);
  });

  it('does not join a query that started before a write settled, nor keep its page', async () => {
    await seedCalls(1);
    const db = counted(t.store);
    const store = cached(db.store);
    const release = db.hold();
    const early = store.listCallsJson(filter, null, 50);
    const call = makeCall({ server, startedAt: '2026-11-21T05:00:00.000Z' });
    await store.writeBatch(batchOf({ calls: [call] }));
    const late = store.listCallsJson(filter, null, 50);
    release();
    await early;
    const latePage = await late;
    expect(db.queries()).toBe(2);
    expect(idsOf(latePage)[0]).toBe(call.id);
    // What is kept is the page of the query that started after the write.
    expect(await store.listCallsJson(filter, null, 50)).toBe(latePage);
    expect(lookups).toEqual(['miss', 'miss', 'hit']);
  });

  it('drops the oldest pages beyond its memory budget', async () => {
    await seedCalls(3);
    const db = counted(t.store);
    const onePage = (await t.store.listCallsJson(filter, null, 50)).items.reduce((n, s) => n + s.length * 2, 0);
    // Room for one full page (and a small one), not for two full ones.
    const store = cached(db.store, { maxBytes: Math.floor(onePage * 1.5) + 200 });
    await store.listCallsJson(filter, null, 50);
    await store.listCallsJson({ server, status: ['finished'] }, null, 50);
    expect(db.queries()).toBe(2);
    await store.listCallsJson(filter, null, 50);
    expect(db.queries()).toBe(3);
    expect(lookups).toEqual(['miss', 'miss', 'miss']);
  });

  it('does not keep a failed query', async () => {
    const store = cached(t.store);
    const badCursor = 'not-a-cursor';
    await expect(store.listCallsJson(filter, badCursor, 50)).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(store.listCallsJson(filter, badCursor, 50)).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    expect(lookups).toEqual(['miss', 'miss']);
  });

  it('is the store itself when turned off', () => {
    expect(cacheListings(t.store, { maxAgeMs: 0, maxBytes: 1 << 20 })).toBe(t.store);
  });
});

describe('listingKey', () => {
  it('is the same for equal filters whatever the order their fields were set in', () => {
    expect(listingKey({ server: 'a', status: ['finished'] }, null, 50)).toBe(listingKey({ status: ['finished'], server: 'a' }, null, 50));
  });

  it('tells apart filters, cursors and page sizes', () => {
    const keys = [
      listingKey({}, null, 50),
      listingKey({}, null, 20),
      listingKey({}, 'abc', 50),
      listingKey({ server: 'a' }, null, 50),
      listingKey({ tenantId: 'a' }, null, 50),
      listingKey({ number: 'a' }, null, 50),
      listingKey({ since: '2026-11-21T00:00:00.000Z' }, null, 50),
      listingKey({ until: '2026-11-21T00:00:00.000Z' }, null, 50),
      listingKey({ status: ['finished', 'ringing'] }, null, 50),
      listingKey({ disposition: ['finished' as never] }, null, 50),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
