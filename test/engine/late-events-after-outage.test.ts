import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpillLog } from '../../src/app/spill-log.ts';
import { engineOn } from '../support/engine-on-store.ts';
import { lateChannel, traceEvents } from '../support/fixtures.ts';
import { gatedStore } from '../support/gated-store.ts';
import { shiftedTrace } from '../support/hostile-events.ts';
import { openTestStore, storeKinds } from '../support/test-store.ts';
import { until } from '../support/app-against-asterisk.ts';

// A call that ends just as the database stops: its last events are in the pipeline, and a late event of it
// (a channel that joins by its linkedid) arrives a moment later, when the buffer is full, so it goes to the
// spill log. The database is away longer than the grace a finished call is kept in memory for. When it is back,
// the late event must still find its call: kept by the time events arrived, not by the wall clock, it joins
// the call (one record, all its legs). Evicted by the wall clock, it founded a new call under the same id, whose
// record (one leg, not finished) overwrote the finished call's in the database.

const GRACE_MS = 300;

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.each(storeKinds())('a late event of a call that ended as the database stopped (%s)', (kind) => {
  it('joins its call after the outage, however long the outage lasted', async () => {
    const db = await openTestStore(kind);
    closers.push(() => db.close());
    const gated = gatedStore(db.store);
    const dir = mkdtempSync(join(tmpdir(), 'callflow-late-'));
    dirs.push(dir);
    const { engine } = engineOn(gated.store, {
      ingest: { batchSize: 100, flushIntervalMs: 10, maxBufferedEvents: 60, finishedGraceMs: GRACE_MS },
      spillLog: new SpillLog({ dir, maxBytes: 16 * 1024 * 1024, groupMs: 5 }),
    });
    await engine.start();
    closers.push(() => engine.stop());

    // The call, whole, stored: finished in memory and in the database.
    const call = traceEvents('a_answer_wait_hangup_channelvars');
    for (const e of call) engine.acceptRaw(JSON.stringify(e), new Date(), 'pbx');
    await engine.ingestor.flush();
    const firstChannel = (call[0] as { channel: { id: string } }).channel.id;
    const callId = (await db.store.callIdsOfChannels('pbx', [firstChannel])).get(firstChannel)!;
    const before = await db.store.getCall(callId);
    expect(before?.status).toBe('finished');

    // The database stops. Other calls fill the buffer; the call's late channel comes right after them.
    gated.shut();
    const arrived = new Date();
    let copy = 1;
    const other = (): void => {
      for (const e of shiftedTrace('c_dial_answered', 1_000 * copy++)) engine.acceptRaw(JSON.stringify(e), arrived, 'pbx');
    };
    while (!engine.spill!.isActive) other();
    // Past the buffer: what comes now waits in the spill log until the database is back.
    for (let i = 0; i < 5; i++) other();
    await new Promise((resolve) => setTimeout(resolve, 50));
    engine.acceptRaw(JSON.stringify(lateChannel(callId, 'ChannelCreated')), arrived, 'pbx');
    engine.acceptRaw(JSON.stringify(lateChannel(callId, 'ChannelDestroyed')), arrived, 'pbx');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(engine.spill!.unread).toBeGreaterThanOrEqual(2);

    // Away for longer than a finished call is kept by the clock on the wall; then back.
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS * 3));
    gated.open();
    await until(async () => engine.spill!.unread === 0 && engine.ingestor.pendingCount === 0, 20_000, 'the spill log to be read back');
    await engine.ingestor.flush();

    const after = await db.store.getCall(callId);
    expect(after?.status).toBe('finished');
    expect(after?.legs.map((l) => l.channelId)).toEqual(expect.arrayContaining([...before!.legs.map((l) => l.channelId), `${callId}9`]));
    expect(after?.eventCount).toBe(before!.eventCount + 2);
  });
});
