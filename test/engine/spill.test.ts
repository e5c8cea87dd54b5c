import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AriConnection } from '../../src/ari/client.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { replayRawEvents } from '../../src/app/replay.ts';
import { SpillLog } from '../../src/app/spill-log.ts';
import type { Store } from '../../src/store/types.ts';
import { until } from '../support/app-against-asterisk.ts';
import { engineOn } from '../support/engine-on-store.ts';
import { FakeAsterisk } from '../support/fake-asterisk.ts';
import { shiftedTrace } from '../support/hostile-events.ts';
import { openTestStore, storeKinds, type TestStore } from '../support/test-store.ts';
import { gatedStore } from '../support/gated-store.ts';

// The engine never stops reading its sources. While the database does not take batches, events past the
// ingest buffer go to the spill log on disk, in order; when the database is back they are ingested from it,
// each stored once, and the log empties. What a crash leaves in the log is taken in at the next start. Only a
// full log loses events, counted. Before, the engine paused the ARI socket, and Asterisk, which does not
// wait, dropped it and everything it sent meanwhile.

const TRACES = ['a_answer_wait_hangup', 'c_dial_answered', 'd1_dial_busy', 'e_dtmf_varset', 'b_unanswered_caller_hangup'];
const INGEST = { batchSize: 100, flushIntervalMs: 10, maxBufferedEvents: 200 };

function newEngine(store: Store, spillDir: string, maxBytes = 64 * 1024 * 1024) {
  return engineOn(store, { ingest: INGEST, spillLog: new SpillLog({ dir: spillDir, maxBytes, groupMs: 5 }) });
}

/** Copies of the recorded calls with their ids moved apart, and what each call must come out as. */
function traffic(copies: number): { events: Record<string, unknown>[]; expected: Map<string, string | null> } {
  const events: Record<string, unknown>[] = [];
  const expected = new Map<string, string | null>();
  for (let i = 0; i < copies; i++) {
    const copy = shiftedTrace(TRACES[i % TRACES.length]!, 1_000 * (i + 1));
    for (const record of replayRawEvents(copy.map((e) => JSON.stringify(e)))) expected.set(record.id, record.disposition);
    events.push(...copy);
  }
  return { events, expected };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-spill-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function storedEvents(db: TestStore): Promise<number> {
  return (await db.store.stats()).events;
}

describe.each(storeKinds())('spilling while the database does not answer (%s)', (kind) => {
  it('keeps reading the ARI socket, spills past the buffer, and stores every event once when the database is back', async () => {
    const db = await openTestStore(kind);
    cleanup.push(() => db.close());
    const gated = gatedStore(db.store);
    const { engine, metrics } = newEngine(gated.store, tempDir());
    const pbx = new FakeAsterisk({ username: 'u', password: 'spill-pw' });
    const { url } = await pbx.start();
    cleanup.push(() => pbx.stop());
    const connection: AriConnection = new AriConnection(
      { name: 'pbx', url, username: 'u', password: 'spill-pw', app: 'callflow', subscribeAll: true },
      {
        onEvent: (bytes, receivedAt) => void engine.acceptBytes(bytes, receivedAt, 'pbx'),
        onConnected: async () => void (await engine.resync('pbx', async () => ({ channels: [], bridges: [] }))),
      },
      { logger: silentLogger() },
    );
    engine.addConnection(connection, { name: 'pbx', kind: 'ari', start: () => connection.start(), stop: () => connection.stop(), pause: () => connection.pause(), resume: () => connection.resume() });
    await engine.start();
    await pbx.waitForConnection(1);
    await until(async () => engine.ingestor.pendingCount === 0 && (await storedEvents(db)) >= 0, 10_000, 'the first resync');

    gated.shut();
    const { events, expected } = traffic(40);
    let paused = false;
    const watch = setInterval(() => (paused ||= connection.isPaused), 5);
    cleanup.push(() => clearInterval(watch));
    // Every frame is written into the socket; a reader that stopped would hold this back.
    await pbx.stream(events.map((e) => JSON.stringify(e)));
    await until(() => engine.spill!.spilled + engine.ingestor.pendingCount >= events.length - 2 * INGEST.batchSize, 30_000, 'the events to be read');
    expect(engine.spill!.isActive).toBe(true);
    expect(engine.spill!.spilled).toBeGreaterThan(events.length / 2);
    expect(engine.ingestor.pendingCount).toBeLessThanOrEqual(INGEST.maxBufferedEvents + INGEST.batchSize);

    gated.open();
    await until(async () => !engine.spill!.isActive && engine.ingestor.pendingCount === 0 && (await storedEvents(db)) >= events.length, 60_000, 'the spill to be read back');
    clearInterval(watch);
    expect(paused).toBe(false);
    expect(await storedEvents(db)).toBe(events.length + 0);
    for (const [id, disposition] of expected) expect((await db.store.getCall(id))?.disposition, id).toBe(disposition);
    expect(engine.spill!.lost).toBe(0);
    expect(engine.spill!.bytes).toBe(0);
    expect((await metrics.registry.getSingleMetric('callflow_ingest_events_lost_total')!.get()).values[0]?.value ?? 0).toBe(0);
    await engine.stop();
  }, 120_000);

  it('takes in what a crash left in the spill log at the next start, once', async () => {
    const db = await openTestStore(kind);
    cleanup.push(() => db.close());
    const dir = tempDir();
    const gated = gatedStore(db.store);
    gated.shut();
    const first = newEngine(gated.store, dir);
    cleanup.push(() => first.engine.spill!.stop());
    await first.engine.start();
    const { events } = traffic(20);
    for (const e of events) first.engine.acceptRaw(JSON.stringify(e), new Date(), 'pbx');
    const spilled = first.engine.spill!.spilled;
    expect(spilled).toBeGreaterThan(0);
    // The crash: the buffered events in memory are gone; the spill log was written in groups of 5 ms.
    await new Promise((r) => setTimeout(r, 50));
    void first.engine.ingestor.stop(0);

    const second = newEngine(db.store, dir);
    await second.engine.start();
    await until(async () => !second.engine.spill!.isActive && second.engine.ingestor.pendingCount === 0, 60_000, 'the spill log to be taken in');
    await second.engine.ingestor.flush();
    expect(await storedEvents(db)).toBe(spilled);
    await second.engine.stop();

    const third = newEngine(db.store, dir);
    await third.engine.start();
    expect(third.engine.spill!.isActive).toBe(false);
    await third.engine.stop();
    expect(await storedEvents(db)).toBe(spilled);
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg'))).toEqual([]);
  }, 120_000);

  it('applies a resync taken while spilling at its place in the stream', async () => {
    const db = await openTestStore(kind);
    cleanup.push(() => db.close());
    const gated = gatedStore(db.store);
    gated.shut();
    const { engine } = newEngine(gated.store, tempDir());
    await engine.start();
    const { events } = traffic(30);
    for (const e of events) engine.acceptRaw(JSON.stringify(e), new Date(), 'pbx');
    // A call rings, then the server reports no channel alive: the call ended while the engine was not looking.
    const ringing = shiftedTrace('b_unanswered_caller_hangup', 900_000);
    const cut = ringing.findIndex((e) => e.type === 'ChannelHangupRequest');
    for (const e of ringing.slice(0, cut)) engine.acceptRaw(JSON.stringify(e), new Date(), 'pbx');
    expect(engine.spill!.isActive).toBe(true);
    expect(await engine.resync('pbx', async () => ({ channels: [], bridges: [] }))).toEqual({ gone: 0, found: 0 });
    const [call] = replayRawEvents(ringing.slice(0, cut).map((e) => JSON.stringify(e)));
    gated.open();
    await until(async () => (await db.store.getCall(call!.id))?.status === 'finished', 60_000, 'the ringing call to be closed by the resync');
    expect((await db.store.getCall(call!.id))?.closedBy).toBe('resync');
    await engine.stop();
  }, 120_000);

  it('commits batches in order when the buffer fills between flushes and the read-back starts with a batch larger than it', async () => {
    // The chaos run's shape: batches (2,000) larger than the buffer (200), so the buffer fills and the log takes
    // over before any flush starts; the first flush then resumes the read-back. It once took events in from
    // inside that flush, before its batch was handed to the store, and started a second flush whose batch was
    // written first: the first batch's older call rows then overwrote the newer ones (calls left "answered").
    const db = await openTestStore(kind);
    cleanup.push(() => db.close());
    const committedOrder: number[] = [];
    const store: Store = {
      ...db.store,
      async writeBatch(batch, options) {
        await db.store.writeBatch(batch, options);
        committedOrder.push(batch.mark!.batch);
      },
    };
    const { engine } = engineOn(store, {
      ingest: { batchSize: 2_000, flushIntervalMs: 60_000, maxBufferedEvents: 200 },
      spillLog: new SpillLog({ dir: tempDir(), maxBytes: 64 * 1024 * 1024, groupMs: 5 }),
    });
    await engine.start();
    const { events, expected } = traffic(60);
    expect(events.length).toBeGreaterThan(2_400);
    // One turn of the event loop, as a burst read from a socket in one go.
    for (const e of events) engine.acceptRaw(JSON.stringify(e), new Date(), 'pbx');
    expect(engine.spill!.isActive).toBe(true);
    await until(async () => !engine.spill!.isActive && engine.ingestor.pendingCount === 0 && (await storedEvents(db)) >= events.length, 60_000, 'the spill log to be read back');
    await engine.ingestor.flush();
    expect(committedOrder).toEqual([...committedOrder].sort((a, b) => a - b));
    expect(await storedEvents(db)).toBe(events.length);
    for (const [id, disposition] of expected) expect((await db.store.getCall(id))?.disposition, id).toBe(disposition);
    await engine.stop();
  }, 120_000);

  it('counts what a full spill log cannot take, and keeps the rest', async () => {
    const db = await openTestStore(kind);
    cleanup.push(() => db.close());
    const gated = gatedStore(db.store);
    gated.shut();
    const { engine, metrics } = newEngine(gated.store, tempDir(), 1024 * 1024);
    await engine.start();
    const { events } = traffic(120);
    for (const e of events) engine.acceptRaw(JSON.stringify(e), new Date(), 'pbx');
    const { spilled, lost } = engine.spill!;
    expect(lost).toBeGreaterThan(0);
    // The rest is in memory: the buffer and the batch waiting for the database.
    expect(events.length - spilled - lost).toBeLessThanOrEqual(INGEST.maxBufferedEvents + 2 * INGEST.batchSize);
    expect((await metrics.registry.getSingleMetric('callflow_ingest_events_lost_total')!.get()).values[0]!.value).toBe(lost);
    gated.open();
    await until(async () => !engine.spill!.isActive && engine.ingestor.pendingCount === 0, 60_000, 'the spill log to be read back');
    await engine.ingestor.flush();
    expect(await storedEvents(db)).toBe(events.length - lost);
    await engine.stop();
  }, 120_000);
});
