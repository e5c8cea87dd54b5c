import { Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/test-store.ts';
import { startPgProxy, type PgProxy } from '../support/pg-proxy.ts';
import { batchOf, makeCall, makeEventRow, uniqueId } from '../support/call-factory.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { WriteThread } from '../../src/store/write-thread.ts';
import { isAppError, ERROR_CODES } from '../../src/errors.ts';
import { Ingestor } from '../../src/app/ingestor.ts';
import { createLogger } from '../../src/app/logger.ts';
import { Pipeline } from '../../src/app/pipeline.ts';
import { configSchema } from '../../src/config/schema.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import { trafficLines } from '../../src/sim/traffic.ts';

// A batch whose COMMIT got no answer may be durable or not. The writer asks PostgreSQL how its
// transaction ended instead of guessing: writing a committed batch again would store its events twice,
// and giving up on an uncommitted one would lose them. The connection is broken at the COMMIT by a proxy
// that reads the wire protocol (pg-proxy.ts), under the store, under the ingestor with a batch queued
// behind (the code before this check stored 350 events of 250 there), and the writer thread is killed with a
// COMMIT in flight.

describe.skipIf(!postgresUrl)('a write whose COMMIT got no answer (postgres)', () => {
  let database: TestDatabase;
  let proxy: PgProxy;
  let store: SqlStore;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    proxy = await startPgProxy(database.url);
    store = await openStore({ url: proxy.url, dataDir: 'memory://', poolSize: 2 });
    await store.migrate();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('CREATE TABLE marks (n int NOT NULL)');
    await admin.query('CREATE TABLE deferred (n int UNIQUE DEFERRABLE INITIALLY DEFERRED)');
  });
  afterAll(async () => {
    await admin?.end();
    await store?.close();
    await proxy?.close();
    await database?.drop();
  });

  const eventCount = async (callId: string) =>
    (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE call_id = $1', [callId])).rows[0]!.n;
  const backendAlive = async (pid: number) =>
    (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 1;
  const batchFor = (callId: string) =>
    batchOf({
      calls: [makeCall({ id: callId })],
      events: ['StasisStart', 'ChannelStateChange', 'ChannelDestroyed'].map((type) => makeEventRow({ callId, type })),
    });

  it('succeeds without writing again when the server committed but its answer was lost', async () => {
    const callId = uniqueId('call');
    const broken = proxy.breakNextCommit('answer-lost');
    const reasons: string[] = [];
    await store.writeBatch(batchFor(callId), { onCommitUnknown: (reason) => reasons.push(reason) });
    await broken;
    expect(reasons).toEqual([expect.stringMatching(/connection terminated/i)]);
    expect(await eventCount(callId)).toBe(3);
    const [row] = (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM calls WHERE id = $1', [callId])).rows;
    expect(row!.n).toBe(1);
    // The next batch goes through a fresh connection as usual.
    const next = uniqueId('call');
    await store.writeBatch(batchFor(next));
    expect(await eventCount(next)).toBe(3);
  });

  it('fails as retryable, with nothing stored and the old transaction ended, when COMMIT never arrived', async () => {
    const callId = uniqueId('call');
    const broken = proxy.breakNextCommit('commit-lost');
    const failure = await store.writeBatch(batchFor(callId)).then(
      () => null,
      (err: unknown) => err,
    );
    await broken;
    expect(isAppError(failure) && failure.code === ERROR_CODES.STORE_UNAVAILABLE && failure.retryable).toBe(true);
    // The proxy kept the server's side open, idle in transaction; the writer ended it before answering.
    expect(await backendAlive(proxy.brokenPids.at(-1)!)).toBe(false);
    expect(await eventCount(callId)).toBe(0);
    await store.writeBatch(batchFor(callId));
    expect(await eventCount(callId)).toBe(3);
  });

  it('keeps every event once, in arrival order, when the ingestor loses the answer to a COMMIT with a batch queued behind', async () => {
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    const pipeline = new Pipeline({ policy: directionPolicy(configSchema.parse({}).direction) });
    const ingestor = new Ingestor({
      pipeline,
      store,
      logger: createLogger('debug', sink),
      batchSize: 100,
      flushIntervalMs: 1_000,
      maxBufferedEvents: 100,
    });
    const texts = [...trafficLines({ seed: 5, calls: 40, concurrency: 10 })].slice(0, 250);
    expect(texts).toHaveLength(250);
    const broken = proxy.breakNextCommit('answer-lost');
    const receivedAt = new Date('2026-11-21T10:00:00.000Z');
    // Event 100 hands batch 1 over; at event 200 the buffer is full and batch 2 is queued behind it.
    for (const text of texts) expect(ingestor.acceptText(text, receivedAt, 'pbx-lost').ok).toBe(true);
    await ingestor.flush();
    await broken;

    const stored = await admin.query<{ payload: unknown }>("SELECT payload FROM events WHERE server = 'pbx-lost' ORDER BY seq");
    expect(stored.rows.map((row) => JSON.stringify(row.payload))).toEqual(texts.map((text) => JSON.stringify(JSON.parse(text))));
    expect(ingestor.committedEvents).toBe(250);
    // Batch 1 was durable: nothing was written again, and the log says what happened.
    const log = logLines.join('');
    expect(log).toContain('batch commit got no answer; asking the database whether it committed');
    expect(log).not.toContain('batch commit failed');
    expect(ingestor.lastError).toBeNull();
  });

  describe('the writer thread', () => {
    let thread: WriteThread;
    afterEach(async () => {
      await thread?.close();
    });
    const workerOf = (t: WriteThread) => (t as unknown as { worker: Worker | null }).worker!;
    const marks = async (n: number) =>
      (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM marks WHERE n = $1', [n])).rows[0]!.n;

    it('fails a write whose COMMIT the server refused without asking anything', async () => {
      thread = new WriteThread({ url: database.url, connectTimeoutMs: 5_000 });
      const reasons: string[] = [];
      const error = await thread
        .run([{ kind: 'query', sql: 'INSERT INTO deferred (n) VALUES (7), (7)', params: [] }], { onCommitUnknown: (r) => reasons.push(r) })
        .then(
          () => null,
          (err: unknown) => err as Error & { code?: string },
        );
      // The unique check is deferred to COMMIT, which PostgreSQL answers with unique_violation: rolled back.
      expect(error?.code).toBe('23505');
      expect(reasons).toEqual([]);
      const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM deferred');
      expect(rows[0]!.n).toBe(0);
    });

    it('settles a write as done when it dies and the transaction had committed', async () => {
      thread = new WriteThread({ url: proxy.url, connectTimeoutMs: 5_000 });
      const held = proxy.breakNextCommit('answer-held');
      const reasons: string[] = [];
      const write = thread.run([{ kind: 'query', sql: 'INSERT INTO marks (n) VALUES ($1)', params: [1] }], {
        onCommitUnknown: (reason) => reasons.push(reason),
      });
      await held;
      // Committed on the server, the answer never delivered, and now the thread that waited for it is gone.
      await workerOf(thread).terminate();
      await write;
      expect(reasons).toEqual([expect.stringMatching(/writer thread exited/)]);
      expect(await marks(1)).toBe(1);
    });

    it('fails a write as retryable when it dies before the transaction committed, ending it on the server', async () => {
      thread = new WriteThread({ url: database.url, connectTimeoutMs: 5_000 });
      const write = thread.run([
        { kind: 'query', sql: 'INSERT INTO marks (n) VALUES ($1)', params: [2] },
        { kind: 'query', sql: 'SELECT pg_sleep(30)', params: [] },
      ]);
      const outcome = write.then(
        () => null,
        (err: unknown) => err as Error,
      );
      let pid = 0;
      for (let i = 0; i < 200 && pid === 0; i++) {
        const { rows } = await admin.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = 'callflow-writer' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
        );
        pid = rows[0]?.pid ?? 0;
        if (pid === 0) await new Promise((r) => setTimeout(r, 25));
      }
      expect(pid).toBeGreaterThan(0);
      // Its server process sleeps on, unaware the thread is gone, until the new thread ends it.
      await workerOf(thread).terminate();
      const error = await outcome;
      expect(error?.message).toMatch(/connection terminated/);
      expect(await backendAlive(pid)).toBe(false);
      expect(await marks(2)).toBe(0);
    });
  });
});
