import { Writable } from 'node:stream';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { Ingestor } from '../../src/app/ingestor.ts';
import { createLogger } from '../../src/app/logger.ts';
import { Pipeline } from '../../src/app/pipeline.ts';
import { configSchema } from '../../src/config/schema.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import { trafficLines } from '../../src/sim/traffic.ts';
import type { WriteOptions } from '../../src/store/sql-client.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { WriteBatch } from '../../src/store/types.ts';
import { postgresUrl, useTestStore } from '../support/test-store.ts';

// The ingestor queues the next batch behind the one being written when its buffer fills up, and when the
// store reports the events of the batch in flight half sent. In the first test the write in flight fails
// while a batch is queued behind it: the queued batch must not overtake it, and every event must end up
// stored once, in arrival order.

/**
 * Waits until the engine's writer connection is blocked on a lock. Asked from outside the locking transaction,
 * which sees one snapshot of the statistics.
 */
async function writerWaitingOnLock(store: SqlStore): Promise<void> {
  await vi.waitFor(
    async () => {
      const rows = await store.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE application_name = 'callflow-writer' AND datname = current_database() AND wait_event_type = 'Lock'`,
      );
      expect(rows[0]!.n).toBe(1);
    },
    { timeout: 5_000 },
  );
}

describe.runIf(postgresUrl)('ingest batches queued behind a write (postgres)', () => {
  const testStore = useTestStore('postgres');

  it('keeps every event once and in arrival order when the write in flight fails and the queued batch is skipped', async () => {
    const t = testStore();
    const logLines: string[] = [];
    const logger = createLogger(
      'debug',
      new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );
    const pipeline = new Pipeline({ policy: directionPolicy(configSchema.parse({}).direction) });
    const ingestor = new Ingestor({ pipeline, store: t.store, logger, batchSize: 100, flushIntervalMs: 1_000, maxBufferedEvents: 100 });
    const texts = [...trafficLines({ seed: 7, calls: 40, concurrency: 10 })].slice(0, 250);
    expect(texts).toHaveLength(250);

    // Another session holds the event counters, which each batch updates last: batch 1 waits inside its
    // transaction until the writer's connection is killed.
    const locker = new pg.Client({ connectionString: t.url! });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE event_type_counts IN ACCESS EXCLUSIVE MODE');
      const receivedAt = new Date('2026-11-21T09:00:00.000Z');
      // Event 100 starts batch 1; at event 200 the buffer is full and batch 2 is queued behind it.
      for (const text of texts) expect(ingestor.acceptText(text, receivedAt, 'pbx1').ok).toBe(true);
      expect(ingestor.pendingCount).toBe(150);
      expect(ingestor.isPaused).toBe(true);

      await writerWaitingOnLock(t.store);
      const killed = await t.store.sql.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE application_name = 'callflow-writer' AND datname = current_database()`,
      );
      expect(killed[0]!.n).toBe(1);
      await locker.query('ROLLBACK');

      await ingestor.flush();
    } finally {
      await locker.end();
    }

    const stored = await t.store.sql.query<{ payload: unknown }>("SELECT payload FROM events WHERE server = 'pbx1' ORDER BY seq");
    expect(stored.map((row) => JSON.stringify(row.payload))).toEqual(texts.map((text) => JSON.stringify(JSON.parse(text))));
    expect(ingestor.pendingCount).toBe(0);
    expect(ingestor.isPaused).toBe(false);
    expect(ingestor.committedEvents).toBe(250);
    const log = logLines.join('');
    expect(log).toContain('batch commit failed; retrying');
    expect(log).toContain('queued batch skipped after the batch before it failed');
  });

  // With `batchSize` events waiting once the batch in flight is half sent, the next batch is handed over at
  // once; with fewer (light load) it waits for the commit, so a few events never wait for two commits.
  it.each([
    { server: 'pbx2', behind: 150, second: { events: 150, afterPrevious: true, firstDone: false } },
    { server: 'pbx3', behind: 30, second: { events: 30, afterPrevious: false, firstDone: true } },
  ])('hands the next batch over before the commit only when a batch is waiting ($behind events behind)', async ({ server, behind, second }) => {
    const t = testStore();
    const pipeline = new Pipeline({ policy: directionPolicy(configSchema.parse({}).direction) });
    const handedOver: { events: number; afterPrevious: boolean; firstDone: boolean }[] = [];
    let firstDone = false;
    const store = {
      ...t.store,
      writeBatch: (batch: WriteBatch, options?: WriteOptions) => {
        handedOver.push({ events: batch.events.length, afterPrevious: options?.afterPrevious === true, firstDone });
        const done = t.store.writeBatch(batch, options);
        if (handedOver.length === 1) void done.then(() => (firstDone = true));
        return done;
      },
    };
    // The buffer is far from full all along: only the store's report can start the second batch early.
    const ingestor = new Ingestor({ pipeline, store, logger: createLogger('silent'), batchSize: 100, flushIntervalMs: 1_000, maxBufferedEvents: 10_000 });
    const texts = [...trafficLines({ seed: 11, calls: 60, concurrency: 10 })].slice(0, 100 + behind);
    expect(texts).toHaveLength(100 + behind);

    // Batch 1 waits at the event counters, its last statement, after its events are in.
    const locker = new pg.Client({ connectionString: t.url! });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE event_type_counts IN ACCESS EXCLUSIVE MODE');
      const receivedAt = new Date('2026-11-21T09:30:00.000Z');
      // Event 100 hands batch 1 over; the ones after it are ingested while it is written.
      for (const text of texts) expect(ingestor.acceptText(text, receivedAt, server).ok).toBe(true);
      await writerWaitingOnLock(t.store);
      if (second.afterPrevious) await vi.waitFor(() => expect(handedOver).toHaveLength(2), { timeout: 5_000 });
      else expect(handedOver).toHaveLength(1);
      await locker.query('ROLLBACK');
      await ingestor.flush();
    } finally {
      await locker.end();
    }
    expect(handedOver).toEqual([{ events: 100, afterPrevious: false, firstDone: false }, second]);
    const stored = await t.store.sql.query<{ payload: unknown }>('SELECT payload FROM events WHERE server = $1 ORDER BY seq', [server]);
    expect(stored.map((row) => JSON.stringify(row.payload))).toEqual(texts.map((text) => JSON.stringify(JSON.parse(text))));
    expect(ingestor.committedEvents).toBe(100 + behind);
  });
});
