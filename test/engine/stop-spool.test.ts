import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/app/engine.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { createMetrics } from '../../src/app/metrics.ts';
import { DEFAULT_DIRECTION_RULES } from '../../src/app/replay.ts';
import { Spool } from '../../src/app/spool.ts';
import { engineOn } from '../support/engine-on-store.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/types.ts';
import { startPgProxy } from '../support/pg-proxy.ts';
import { traceEvents } from '../support/fixtures.ts';
import { openTestStore, postgresUrl, storeKinds, type TestStore } from '../support/test-store.ts';

// A graceful stop loses nothing: what the database has not taken by the stop deadline is written to a spool
// file and taken in at the next start, and a batch whose COMMIT was under way at the stop (it may have
// landed) is not stored twice: the next start asks ingest_marks.

const CALLS = ['a_answer_wait_hangup', 'c_dial_answered', 'd1_dial_busy'];

function engineWithSpool(store: Store, spoolDir: string, stopDeadlineMs: number) {
  return engineOn(store, { spool: new Spool(spoolDir), stopDeadlineMs });
}

function feed(engine: Engine, trace: string, server: string): number {
  const events = traceEvents(trace);
  for (const event of events) {
    const result = engine.acceptRaw(JSON.stringify(event), new Date(), server);
    expect(result.ok).toBe(true);
  }
  return events.length;
}

async function storedEvents(store: Store): Promise<number> {
  return (await store.stats()).events;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  cleanup = [];
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'callflow-spool-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe.each(storeKinds())('stop with the database not answering (%s)', (kind) => {
  it('spools what was not stored and takes it in at the next start, once', async () => {
    const db: TestStore = await openTestStore(kind);
    cleanup.push(() => db.close());
    const spoolDir = await tempDir();
    // A database that takes nothing: every write waits forever.
    const frozen: Store = { ...db.store, writeBatch: () => new Promise<void>(() => undefined) };
    const first = engineWithSpool(frozen, spoolDir, 300);
    await first.engine.start();
    let fed = 0;
    for (const trace of CALLS) fed += feed(first.engine, trace, 'pbx');
    await first.engine.stop();

    const files = await readdir(spoolDir);
    expect(files.filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    expect(files.some((f) => f.endsWith('.partial'))).toBe(false);
    expect(await storedEvents(db.store)).toBe(0);

    const second = engineWithSpool(db.store, spoolDir, 10_000);
    await second.engine.start();
    expect(await storedEvents(db.store)).toBe(fed);
    const calls = await db.store.listCalls({}, null, 50);
    expect(calls.items.map((c) => c.disposition).sort()).toEqual(['answered', 'answered', 'busy']);
    for (const call of calls.items) expect((await second.engine.rebuild(call.id)).identical).toBe(true);
    expect(await readdir(spoolDir)).toEqual([]);
    await second.engine.stop();

    // A third start finds nothing more to take in.
    const third = engineWithSpool(db.store, spoolDir, 10_000);
    await third.engine.start();
    await third.engine.stop();
    expect(await storedEvents(db.store)).toBe(fed);
  });

  it('counts and logs what it cannot keep when there is no spool', async () => {
    const db = await openTestStore(kind);
    cleanup.push(() => db.close());
    const frozen: Store = { ...db.store, writeBatch: () => new Promise<void>(() => undefined) };
    const metrics = createMetrics();
    const engine = new Engine({
      store: frozen,
      logger: silentLogger(),
      metrics,
      policy: directionPolicy(DEFAULT_DIRECTION_RULES),
      ingest: { batchSize: 2000, flushIntervalMs: 10, maxBufferedEvents: 50_000 },
      stopDeadlineMs: 200,
    });
    await engine.start();
    const fed = feed(engine, 'd1_dial_busy', 'pbx');
    await engine.stop();
    expect((await metrics.registry.getSingleMetric('callflow_ingest_events_lost_total')!.get()).values[0]!.value).toBe(fed);
  });
});

describe.skipIf(!postgresUrl)('stop while a COMMIT is under way (postgres)', () => {
  it('does not store the batch twice when that COMMIT landed, and takes in the rest', async () => {
    const db = await openTestStore('postgres');
    cleanup.push(() => db.close());
    const proxy = await startPgProxy(db.url!);
    cleanup.push(() => proxy.close());
    const viaProxy = await openStore({ url: proxy.url, dataDir: 'memory://', poolSize: 2 });
    cleanup.push(() => viaProxy.close());
    const spoolDir = await tempDir();

    const first = engineWithSpool(viaProxy, spoolDir, 500);
    await first.engine.start();
    // The first batch's COMMIT reaches PostgreSQL, which commits it; its answer never comes back.
    const held = proxy.breakNextCommit('answer-held');
    let fed = feed(first.engine, 'a_answer_wait_hangup', 'pbx');
    await held;
    // These wait behind it, never written.
    fed += feed(first.engine, 'd1_dial_busy', 'pbx');
    await first.engine.stop();
    const committed = await storedEvents(db.store);
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(fed);

    const second = engineWithSpool(db.store, spoolDir, 10_000);
    await second.engine.start();
    // Every event once: the batch whose COMMIT landed was in the spool too, and was skipped.
    expect(await storedEvents(db.store)).toBe(fed);
    const calls = await db.store.listCalls({}, null, 50);
    expect(calls.items.map((c) => c.disposition).sort()).toEqual(['answered', 'busy']);
    await second.engine.stop();
  });
});
