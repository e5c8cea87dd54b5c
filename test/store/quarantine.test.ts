import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { batchOf, makeCall, makeEventRow, makeLeg, makeOutbox, uniqueId } from '../support/call-factory.ts';
import { storeKinds, useTestStore, type TestStore } from '../support/test-store.ts';
import { rawText } from '../../src/store/copy-text.ts';
import type { EventRow, QuarantinedRow, WriteBatch } from '../../src/store/types.ts';

// A batch never dies for one row: each class of value the database refuses for good (a key over a btree
// entry's size, an integer out of its column's range, a time out of timestamptz's range) is isolated and kept
// in quarantine with its error, and every row around it is written, in one transaction as usual. On
// PostgreSQL the events also go the way the engine sends them: encoded on arrival as binary COPY rows.

/** Random text does not compress: a btree entry of it really is as long as the text. */
const tooLongForAnIndex = () => randomBytes(2_000).toString('hex');

describe.each(storeKinds())('quarantine of refused rows (%s)', (kind) => {
  const testStore = useTestStore(kind);
  let t: TestStore;
  beforeEach(() => {
    t = testStore();
  });

  /** Writes `batch` with its events as the engine hands them over on this store (encoded on PostgreSQL). */
  async function write(batch: WriteBatch): Promise<QuarantinedRow[]> {
    let quarantined: QuarantinedRow[] = [];
    const encoder = t.store.encodeEvents?.();
    if (encoder) {
      for (const e of batch.events) encoder.add(e.callId, e.server, e.type, e.channelId, Date.parse(e.receivedAt), e.raw);
      batch = { ...batch, events: [], encodedEvents: encoder.finish() };
    }
    await t.store.writeBatch(batch, { onQuarantined: (rows) => (quarantined = [...rows]) });
    return quarantined;
  }

  const eventsOf = async (callId: string) => (await t.store.getEvents(callId)).map((e) => e.type);
  const quarantineRows = () => t.store.sql.query<{ kind: string; call_id: string | null; sqlstate: string | null; data: string }>('SELECT kind, call_id, sqlstate, data FROM quarantine ORDER BY id');

  it('stores the events around one whose call id is too long for an index, and keeps that one', async () => {
    const good = uniqueId('call');
    const evil = tooLongForAnIndex();
    const events: EventRow[] = [
      makeEventRow({ callId: good, type: 'ChannelCreated' }),
      makeEventRow({ callId: evil, type: 'ChannelCreated', fields: { marker: 'evil' } }),
      makeEventRow({ callId: good, type: 'ChannelDestroyed' }),
    ];
    const quarantined = await write(batchOf({ events, calls: [makeCall({ id: good })] }));

    expect(await eventsOf(good)).toEqual(['ChannelCreated', 'ChannelDestroyed']);
    expect(await t.store.getCall(good)).not.toBeNull();
    expect(quarantined.map((q) => [q.kind, q.sqlstate])).toEqual([['event', '54000']]);
    const rows = (await quarantineRows()).filter((r) => r.data.includes('"evil"'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'event', sqlstate: '54000' });
    expect(JSON.parse(rows[0]!.data)).toEqual(JSON.parse(rawText(events[1]!.raw)));
    expect(rows[0]!.call_id!.length).toBeLessThanOrEqual(256);

    // The store takes the next batch as usual.
    await write(batchOf({ events: [makeEventRow({ callId: good, type: 'StasisEnd' })] }));
    expect(await eventsOf(good)).toEqual(['ChannelCreated', 'ChannelDestroyed', 'StasisEnd']);
  });

  it('writes the other calls when one has a number out of its column range, and keeps that call, its legs and deliveries', async () => {
    const good = makeCall();
    const evil = makeCall({ hangupCause: 2 ** 40 });
    const events = [makeEventRow({ callId: good.id }), makeEventRow({ callId: evil.id })];
    const quarantined = await write(batchOf({ events, calls: [good, evil], outbox: [makeOutbox(good.id), makeOutbox(evil.id)] }));

    expect(await t.store.getCall(good.id)).toMatchObject({ id: good.id });
    expect(await t.store.getCall(evil.id)).toBeNull();
    // Its events are stored (the raw history stays whole); the call row, legs and delivery are quarantined.
    expect(await eventsOf(evil.id)).toHaveLength(1);
    expect(quarantined.map((q) => [q.kind, q.callId]).sort()).toEqual(
      [['call', evil.id], ...evil.legs.map(() => ['leg', evil.id]), ['outbox', evil.id]].sort(),
    );
    expect(quarantined.find((q) => q.kind === 'call')?.sqlstate).toBe('22003');
    const outbox = await t.store.sql.query<{ call_id: string }>('SELECT call_id FROM outbox');
    expect(outbox.map((o) => o.call_id)).toEqual([good.id]);
  });

  it('keeps a leg whose channel id is too long for an index, and a call whose time is out of range', async () => {
    const call = makeCall();
    const legEvil = makeLeg({ channelId: tooLongForAnIndex() });
    call.legs = [...call.legs, legEvil];
    const late = makeCall({ startedAt: '2026-11-21T05:00:00.000Z' });
    (late as { startedAt: string }).startedAt = '294277-01-01T00:00:00.000Z';
    const quarantined = await write(batchOf({ calls: [call, late] }));

    expect(await t.store.getCall(call.id)).not.toBeNull();
    const legs = await t.store.sql.query<{ channel_id: string }>('SELECT channel_id FROM legs WHERE call_id = $1', [call.id]);
    expect(legs.map((l) => l.channel_id).sort()).toEqual(call.legs.filter((l) => l !== legEvil).map((l) => l.channelId).sort());
    expect(quarantined.filter((q) => q.callId === call.id).map((q) => [q.kind, q.sqlstate])).toEqual([['leg', '54000']]);
    expect(quarantined.filter((q) => q.callId === late.id && q.kind === 'call').map((q) => q.sqlstate)).toEqual(['22008']);
  });

  it('writes a batch whose call ids differ only in what the database does not keep (NUL, half surrogate pairs)', async () => {
    // Stored alike: NUL is dropped from text, a half surrogate pair becomes U+FFFD. A multi-row upsert that
    // touched one row twice failed the whole batch (cardinality violation), retried forever.
    const base = uniqueId('call');
    const calls = [makeCall({ id: `${base}\ud800` }), makeCall({ id: `${base}\udfff` }), makeCall({ id: `${base}-\u0000x` }), makeCall({ id: `${base}-x` })];
    const quarantined = await write(batchOf({ calls }));
    expect(quarantined).toEqual([]);
    const [row] = await t.store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM calls WHERE id LIKE $1', [`${base}%`]);
    expect(row!.n).toBe(2);
  });

  it('lists quarantined rows newest first, with the total', async () => {
    const before = (await t.store.listQuarantine(null, 1)).total;
    await write(batchOf({ events: [makeEventRow({ callId: tooLongForAnIndex() }), makeEventRow({ callId: tooLongForAnIndex() })] }));
    const first = await t.store.listQuarantine(null, 1);
    expect(first.total).toBe(before + 2);
    expect(first.items).toHaveLength(1);
    const second = await t.store.listQuarantine(first.items[0]!.id, 10);
    const ids = second.items.map((r) => r.id);
    expect(ids[0]).toBe(first.items[0]!.id - 1);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(ids).toHaveLength(Math.min(10, before + 1));
    expect(second.items[0]).toMatchObject({ kind: 'event', sqlstate: '54000' });
  });
});
