import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textArrayLiteral } from '../src/store/array-literal.ts';
import { openStore } from '../src/store/open-store.ts';
import type { SqlClient } from '../src/store/sql-client.ts';
import type { Benchmark } from './support/benchmark.ts';
import { figure } from './support/figures.ts';
import { measureThroughput } from './support/throughput.ts';

// The embedded database (PGlite on a thread of the engine's process, data folder on disk): the same
// end-to-end run as the PostgreSQL one. Baseline: the same event rows inserted into an equivalent PGlite
// table by themselves, the way the engine writes them (one INSERT of one array literal per column per 500
// rows, see src/store/write-batch.ts and array-literal.ts), one transaction per 10,000 rows.

const ROWS_PER_STATEMENT = 500;
const ROWS_PER_TRANSACTION = 10_000;

const INSERT_RAW = `
INSERT INTO bench_raw_events (call_id, server, type, channel_id, received_at, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::json[])`;

interface RawRow {
  call_id: string | null;
  server: string;
  type: string;
  channel_id: string | null;
  received_at: string;
  payload: string;
}

const RAW_COLUMNS: readonly ((r: RawRow) => string | null)[] = [
  (r) => r.call_id,
  (r) => r.server,
  (r) => r.type,
  (r) => r.channel_id,
  (r) => r.received_at,
  (r) => r.payload,
];

async function rawInsertRate(sql: SqlClient, rows: number): Promise<{ rowsPerSec: number; rows: number }> {
  await sql.exec('CREATE TABLE bench_raw_events (LIKE events INCLUDING ALL)');
  const source = await sql.query<RawRow>(
    `SELECT call_id, server, type, channel_id, received_at::text, payload::text FROM events ORDER BY seq LIMIT ${rows}`,
  );
  // Statements are built before the clock starts, as the engine builds a batch before its transaction.
  const statements: string[][] = [];
  for (let i = 0; i < source.length; i += ROWS_PER_STATEMENT) {
    const piece = source.slice(i, i + ROWS_PER_STATEMENT);
    statements.push(RAW_COLUMNS.map((get) => textArrayLiteral(piece.map(get))));
  }
  const perTransaction = ROWS_PER_TRANSACTION / ROWS_PER_STATEMENT;
  const started = performance.now();
  for (let i = 0; i < statements.length; i += perTransaction) {
    await sql.transaction(async (tx) => {
      for (const params of statements.slice(i, i + perTransaction)) await tx.query(INSERT_RAW, params);
    });
  }
  const seconds = (performance.now() - started) / 1000;
  await sql.exec('DROP TABLE bench_raw_events');
  return { rowsPerSec: source.length / seconds, rows: source.length };
}

/** Events per second of the run the fake Asterisk renders ahead: above what PGlite reaches here. */
const PREPARE_PER_SEC = 25_000;

export const embeddedBenchmark: Benchmark = {
  name: 'embedded',
  title: 'End to end, durable on the embedded database (PGlite, data folder on disk)',
  needsPostgres: false,
  timeoutMs: (quick) => (quick ? 90_000 : 180_000),
  async run(ctx) {
    const quick = ctx.options.quick;
    const warmupMs = quick ? 3_000 : 5_000;
    const windowMs = quick ? 8_000 : 20_000;
    const dir = await mkdtemp(join(tmpdir(), 'callflow-bench-pglite-'));
    try {
      const store = await openStore({ dataDir: join(dir, 'data') });
      try {
        await store.migrate();
        const result = await measureThroughput({ store, warmupMs, windowMs, log: ctx.log, preparePerSec: PREPARE_PER_SEC });
        const [{ n: stored } = { n: 0 }] = await store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
        ctx.log(`engine: ${Math.round(result.eventsPerSec)} events/s; ${result.feed.sent} sent, ${stored} stored`);
        const raw = await rawInsertRate(store.sql, Math.min(stored, quick ? 50_000 : 150_000));
        ctx.log(`raw insert: ${Math.round(raw.rowsPerSec)} rows/s`);
        const lost = result.feed.sent - stored;
        return [
          figure({
            benchmark: 'embedded',
            metric: `durable events/s sustained over ${windowMs / 1000} s (PGlite)`,
            value: result.eventsPerSec,
            unit: 'events/s',
            baseline: { label: `raw insert of ${raw.rows} of the same event rows into PGlite`, value: raw.rowsPerSec, unit: 'rows/s' },
            targets: [{ of: 'value', op: '>=', value: 15_000 }],
            notes: [
              `${result.commits} commits in the window, largest batch ${result.largestBatch} events; ${result.feed.sent} events sent, ${stored} stored (${lost === 0 ? 'none lost' : `${lost} MISSING`})`,
            ],
          }),
        ];
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
