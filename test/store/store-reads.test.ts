import { beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/domain/call.ts';
import type { CallFilter } from '../../src/store/types.ts';
import { storeKinds, useTestStore, type TestStore } from '../support/test-store.ts';
import { addSeconds, batchOf, makeCall, makeEventRow, storeOldRecord, uniqueId } from '../support/call-factory.ts';

// Listing, filters, paging, statistics and export iteration against each store kind. Each test writes
// calls on its own server name and filters by it, so tests sharing the store do not see each other.

const ids = (calls: CallRecord[]) => calls.map((c) => c.id);

/** Newest first, ties on startedAt broken by id descending: the order the store promises. */
const newestFirst = (calls: CallRecord[]) =>
  [...calls].sort((a, b) => (a.startedAt === b.startedAt ? (a.id < b.id ? 1 : -1) : a.startedAt < b.startedAt ? 1 : -1));

describe.each(storeKinds())('store reads (%s)', (kind) => {
  const testStore = useTestStore(kind);
  let t: TestStore;
  beforeEach(() => {
    t = testStore();
  });

  async function seed(calls: CallRecord[]): Promise<void> {
    await t.store.writeBatch(batchOf({ calls }));
  }

  async function listAll(filter: CallFilter): Promise<string[]> {
    return ids((await t.store.listCalls(filter, null, 500)).items);
  }

  it('filters by status, disposition, direction, number prefix and time range', async () => {
    const server = uniqueId('pbx');
    const at = (minutes: number) => addSeconds('2026-11-21T04:00:00.000Z', minutes * 60);
    const calls = {
      answeredIn: makeCall({ server, id: uniqueId('c'), startedAt: at(0), from: '+15550100', to: '100' }),
      busyOut: makeCall({ server, id: uniqueId('c'), shape: 'busy', direction: 'outbound', startedAt: at(10), from: '100', to: '+4930123' }),
      missed: makeCall({ server, id: uniqueId('c'), shape: 'no_answer', startedAt: at(20), from: '+15550199', to: '101' }),
      ringing: makeCall({ server, id: uniqueId('c'), shape: 'ringing', direction: 'internal', startedAt: at(30), from: '101', to: '102' }),
      literal: makeCall({ server, id: uniqueId('c'), startedAt: at(40), from: '10%_x', to: '103' }),
    };
    await seed(Object.values(calls));

    expect(await listAll({ server })).toEqual(ids(newestFirst(Object.values(calls))));
    expect(await listAll({ server, status: ['ringing'] })).toEqual([calls.ringing.id]);
    expect(await listAll({ server, status: ['finished'], disposition: ['busy', 'no_answer'] })).toEqual([
      calls.missed.id,
      calls.busyOut.id,
    ]);
    expect(await listAll({ server, direction: ['outbound', 'internal'] })).toEqual([calls.ringing.id, calls.busyOut.id]);
    expect(await listAll({ server, number: '+1555' })).toEqual([calls.missed.id, calls.answeredIn.id]);
    // `to` matches as well as `from`.
    expect(await listAll({ server, number: '+4930' })).toEqual([calls.busyOut.id]);
    expect(await listAll({ server, number: '10' })).toEqual([
      calls.literal.id,
      calls.ringing.id,
      calls.missed.id,
      calls.busyOut.id,
      calls.answeredIn.id,
    ]);
    // LIKE wildcards in the prefix are taken literally.
    expect(await listAll({ server, number: '10%' })).toEqual([calls.literal.id]);
    expect(await listAll({ server, number: '1_' })).toEqual([]);
    expect(await listAll({ server, since: at(10), until: at(30) })).toEqual([calls.missed.id, calls.busyOut.id]);
    expect(await listAll({ server, since: '2026-11-21T05:20:00+01:00' })).toEqual([
      calls.literal.id,
      calls.ringing.id,
      calls.missed.id,
    ]);
    expect(await listAll({ server, status: [], disposition: [] })).toHaveLength(5);
    await expect(listAll({ server, since: 'yesterday-ish' })).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
  });

  it('pages newest first through a cursor without duplicates or gaps', async () => {
    const server = uniqueId('pbx');
    // Groups of calls starting in the same millisecond force the id tie-break across page boundaries.
    const calls = Array.from({ length: 23 }, (_, i) =>
      makeCall({ server, id: `${server}-${String(i).padStart(2, '0')}`, startedAt: addSeconds('2026-11-20T10:00:00.000Z', Math.floor(i / 4)) }),
    );
    await seed(calls);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof t.store.listCalls>> = await t.store.listCalls({ server }, cursor, 5);
      expect(page.items.length).toBeLessThanOrEqual(5);
      seen.push(...ids(page.items));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);

    expect(pages).toBe(5);
    expect(seen).toEqual(ids(newestFirst(calls)));
    expect(new Set(seen).size).toBe(23);
    // A page that ends exactly at the last row has no next cursor.
    expect((await t.store.listCalls({ server }, null, 23)).nextCursor).toBeNull();
  });

  it('refuses a bad cursor or limit with a request error', async () => {
    await expect(t.store.listCalls({}, 'not-a-cursor', 10)).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
    await expect(t.store.listCalls({}, forged, 10)).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    for (const limit of [0, 501, 2.5]) {
      await expect(t.store.listCalls({}, null, limit)).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    }
  });

  it('lists open calls, optionally of one server', async () => {
    const server = uniqueId('pbx');
    const other = uniqueId('pbx');
    const ringing = makeCall({ server, shape: 'ringing', startedAt: '2026-11-21T04:00:00.000Z' });
    const talking = makeCall({ server, shape: 'in_progress', startedAt: '2026-11-21T04:01:00.000Z' });
    const elsewhere = makeCall({ server: other, shape: 'ringing' });
    await seed([ringing, talking, elsewhere, makeCall({ server }), makeCall({ server, shape: 'busy' })]);

    expect(await t.store.openCalls(server)).toEqual([ringing, talking]);
    const all = ids(await t.store.openCalls());
    expect(all).toEqual(expect.arrayContaining([ringing.id, talking.id, elsewhere.id]));
  });

  it('computes call statistics with SQL aggregates', async () => {
    const server = uniqueId('pbx');
    const calls = [
      makeCall({ server, startedAt: '2026-11-21T04:10:00.000Z', talkSeconds: 60, from: '+15550100', to: '100' }),
      makeCall({ server, startedAt: '2026-11-21T04:50:00.000Z', talkSeconds: 120, from: '+15550100', to: '101' }),
      makeCall({ server, startedAt: '2026-11-21T04:20:00.000Z', talkSeconds: 30, direction: 'outbound', from: '100', to: '+4930123' }),
      makeCall({ server, shape: 'no_answer', startedAt: '2026-11-21T06:05:00.000Z', from: '+15550100', to: '100' }),
      makeCall({ server, shape: 'busy', startedAt: '2026-11-21T06:59:59.999Z', direction: 'internal', from: '101', to: '102' }),
      makeCall({ server, shape: 'ringing', startedAt: '2026-11-21T07:00:00.000Z', from: '103', to: '103' }),
    ];
    await seed(calls);

    const stats = await t.store.callStats({ server });
    expect(stats).toEqual({
      total: 6,
      answered: 3,
      // Over the five finished calls: the ringing one has no outcome yet.
      finished: 5,
      answerRate: 0.6,
      byDisposition: { answered: 3, no_answer: 1, busy: 1 },
      byDirection: { inbound: 4, outbound: 1, internal: 1 },
      perHour: [
        { hour: '2026-11-21T04:00:00.000Z', total: 3, answered: 3 },
        { hour: '2026-11-21T06:00:00.000Z', total: 2, answered: 0 },
        { hour: '2026-11-21T07:00:00.000Z', total: 1, answered: 0 },
      ],
      avgTalkMs: 70_000,
      // percentile_cont over 30 s, 60 s, 120 s: 60 + 0.8 * (120 - 60) = 108 s.
      p90TalkMs: 108_000,
      busiestNumbers: [
        { number: '+15550100', calls: 3 },
        { number: '100', calls: 3 },
        { number: '101', calls: 2 },
        { number: '+4930123', calls: 1 },
        { number: '102', calls: 1 },
        { number: '103', calls: 1 },
      ],
    });

    const filtered = await t.store.callStats({ server, disposition: ['busy'] });
    expect(filtered).toMatchObject({ total: 1, answered: 0, finished: 1, answerRate: 0, avgTalkMs: null, p90TalkMs: null });
    // A call answered and still talking counts as answered, but not in the rate until it has ended.
    const talking = makeCall({ server, shape: 'in_progress', startedAt: '2026-11-21T08:00:00.000Z' });
    await seed([talking]);
    expect(await t.store.callStats({ server })).toMatchObject({ total: 7, answered: 4, finished: 5, answerRate: 0.6 });
    // The rate follows the outcome: a call its menu answered whose dial then went unanswered is not answered.
    await seed([makeCall({ server, shape: 'answered', disposition: 'no_answer', startedAt: '2026-11-21T08:05:00.000Z' })]);
    expect(await t.store.callStats({ server })).toMatchObject({ total: 8, answered: 5, finished: 6, answerRate: 0.5 });
    const none = await t.store.callStats({ server: uniqueId('empty') });
    expect(none).toEqual({
      total: 0,
      answered: 0,
      finished: 0,
      answerRate: 0,
      byDisposition: {},
      byDirection: {},
      perHour: [],
      avgTalkMs: null,
      p90TalkMs: null,
      busiestNumbers: [],
    });
  });

  it('iterates every filtered call newest first across pages', async () => {
    const server = uniqueId('pbx');
    const calls = Array.from({ length: 612 }, (_, i) =>
      makeCall({ server, id: `${server}-${String(i).padStart(4, '0')}`, startedAt: addSeconds('2026-11-01T00:00:00.000Z', i * 7) }),
    );
    await seed(calls);
    await seed([makeCall({ server: uniqueId('pbx') })]);

    const streamed: string[] = [];
    for await (const call of t.store.iterateCalls({ server })) streamed.push(call.id);
    expect(streamed).toEqual(ids(newestFirst(calls)));
  });

  it("pages a call's events in arrival order across page and batch boundaries", async () => {
    const callId = uniqueId('call');
    const other = uniqueId('call');
    // Three batches, the call's events interleaved with another call's: its seqs are not consecutive.
    for (let b = 0; b < 3; b++) {
      const events = Array.from({ length: 6 }, (_, i) =>
        makeEventRow({ callId: i % 3 === 2 ? other : callId, channelId: `chan-${b}-${i}`, receivedAt: addSeconds('2026-11-21T04:00:00.000Z', b * 6 + i) }),
      );
      await t.store.writeBatch(batchOf({ events }));
    }
    const all = await t.store.getEvents(callId);
    expect(all).toHaveLength(12);

    for (const limit of [1, 5, 12, 2000]) {
      const pages: number[][] = [];
      let after: number | null = null;
      do {
        const page: Awaited<ReturnType<typeof t.store.getEventsPage>> = await t.store.getEventsPage(callId, after, limit);
        pages.push(page.items.map((e) => e.seq));
        expect(page.items.length).toBeLessThanOrEqual(limit);
        after = page.nextCursor;
        if (after !== null) expect(after).toBe(page.items.at(-1)!.seq);
      } while (after !== null);
      expect(pages.flat()).toEqual(all.map((e) => e.seq));
      // A page that ends exactly at the last event says so: no empty page after it.
      expect(pages.every((p) => p.length > 0)).toBe(true);
      expect(pages).toHaveLength(Math.ceil(12 / limit));
    }
    const [fourth] = (await t.store.getEventsPage(callId, all[2]!.seq, 1)).items;
    expect(fourth).toEqual(all[3]);
    expect(await t.store.getEventsPage(callId, all[11]!.seq, 10)).toEqual({ items: [], nextCursor: null });
    expect(await t.store.getEventsPage(uniqueId('none'), null, 10)).toEqual({ items: [], nextCursor: null });
    for (const limit of [0, 2001, 1.5]) {
      await expect(t.store.getEventsPage(callId, null, limit)).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    }
    await expect(t.store.getEventsPage(callId, -1, 10)).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
  });

  it('reads records stored before endEstimated, answerEstimated, backfilled, tenantId and route existed as false, default and null, in their documented places', async () => {
    const server = uniqueId('pbx');
    const { endEstimated: _dropped, answerEstimated: _alsoDropped, backfilled: _too, tenantId: _none, route: _unrouted, ...old } = makeCall({ server, shape: 'ringing' });
    await storeOldRecord(t.store, old);
    const expected = { ...old, endEstimated: false, answerEstimated: false, backfilled: false, tenantId: 'default', route: null };
    const keys = Object.keys(makeCall());
    const read = [
      await t.store.getCall(old.id),
      (await t.store.listCalls({ server }, null, 10)).items[0],
      JSON.parse((await t.store.listCallsJson({ server }, null, 10)).items[0]!) as CallRecord,
      (await t.store.openCalls(server))[0],
    ];
    for (const record of read) {
      expect(record).toEqual(expected);
      expect(Object.keys(record!)).toEqual(keys);
    }
  });

  it('answers ping', async () => {
    await expect(t.store.ping()).resolves.toBeUndefined();
    expect(t.store.kind).toBe(kind);
  });
});
