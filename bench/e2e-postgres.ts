import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark } from './support/benchmark.ts';
import { openBenchStore, queryOnce } from './support/database.ts';
import { figure } from './support/figures.ts';
import { rawCopyRates, sustainedCopyRates } from './support/raw-copy.ts';
import { cpuPerEvent, measureThroughput } from './support/throughput.ts';

// End to end and durable on PostgreSQL: a separate fake-Asterisk process → real WebSocket → the real
// AriConnection → Engine → PostgreSQL (calls, legs and raw events, synchronous_commit on), in a fresh
// database. Baselines: a raw COPY of the same event rows into an equivalent table of that database, in
// PostgreSQL's default text format (a plain COPY, as the issue measured its ceiling), two ways (see
// support/raw-copy.ts):
//  - sustained: every row the engine committed, in transactions the size of its batches, into one table
//    that grows as the engine's did, meeting as many checkpoints: the same work without the engine;
//  - burst: 100,000-row pieces into fresh tables, each right after a CHECKPOINT (small fresh indexes,
//    no checkpoint within): the most the database takes in a short burst, reported for reference. The
//    targets are about the sustained figure: the issue names ~60,000 rows/s as this machine's bare COPY of
//    these rows, which is what the sustained COPY measures here (60,039 and 60,817 rows/s in session 7's
//    full runs), while the burst gave 76,000-109,000.
// The same COPYs in binary format, the one the engine itself sends and PostgreSQL reads faster, are
// reported beside them. The engine runs with its spill log, as `npm start` builds it (events past the ingest
// buffer wait on disk instead of pausing the socket); BENCH_NO_SPILL=1 runs it without, to see the log's cost.

/** Events per second of the run the fake Asterisk renders ahead: above the 40,000/s target. */
const PREPARE_PER_SEC = 50_000;

export const e2ePostgresBenchmark: Benchmark = {
  name: 'e2e',
  title: 'End to end, durable on PostgreSQL (fake Asterisk process → WebSocket → engine → PostgreSQL)',
  needsPostgres: true,
  timeoutMs: (quick) => (quick ? 120_000 : 420_000),
  async run(ctx) {
    const quick = ctx.options.quick;
    const warmupMs = quick ? 3_000 : 5_000;
    const windowMs = quick ? 10_000 : 60_000;
    const { store, db, close } = await openBenchStore(ctx.options.postgresUrl);
    const spillDir = mkdtempSync(join(tmpdir(), 'callflow-bench-e2e-spill-'));
    try {
      await queryOnce(db.url, 'CHECKPOINT');
      const result = await measureThroughput({ store, warmupMs, windowMs, log: ctx.log, databaseUrl: db.url, preparePerSec: PREPARE_PER_SEC, ...(process.env.BENCH_NO_SPILL ? {} : { spillDir }) });
      const [{ n: stored } = { n: 0 }] = await queryOnce<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM events');
      const [{ n: calls } = { n: 0 }] = await queryOnce<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM calls');
      ctx.log(`engine: ${Math.round(result.eventsPerSec)} events/s; ${result.feed.sent} sent, ${stored} stored, ${calls} calls`);
      // Pieces of 100,000 rows alternate between the formats; more of them average out a noisy host.
      const copyRows = Math.min(stored, quick ? 200_000 : 600_000);
      const burst = await rawCopyRates(db.url, 'events', copyRows);
      ctx.log(`burst raw COPY: ${Math.round(burst.text.rowsPerSec)} rows/s in text format, ${Math.round(burst.binary.rowsPerSec)} rows/s in binary format`);
      const batchRows = result.commits > 0 ? Math.max(1_000, Math.round(result.cpu.events / result.commits)) : 20_000;
      const sustained = await sustainedCopyRates(db.url, 'events', batchRows);
      ctx.log(`sustained raw COPY of all ${sustained.text.rows} rows in ${batchRows}-row transactions: ${Math.round(sustained.text.rowsPerSec)} rows/s in text format, ${Math.round(sustained.binary.rowsPerSec)} rows/s in binary format`);
      const lost = result.feed.sent - stored;
      const cpu = cpuPerEvent(result.cpu);
      if (cpu) ctx.log(`CPU per event committed in the window: ${cpu}`);
      const metric = `durable events/s sustained over ${windowMs / 1000} s`;
      const ratio = (rate: number): string => (result.eventsPerSec / rate).toFixed(3);
      return [
        figure({
          benchmark: 'e2e',
          metric,
          value: result.eventsPerSec,
          unit: 'events/s',
          baseline: { label: `sustained raw COPY (text format) of all ${sustained.text.rows} rows the engine committed, ${batchRows} per transaction`, value: sustained.text.rowsPerSec, unit: 'rows/s' },
          targets: [
            { of: 'value', op: '>=', value: 40_000 },
            { of: 'ratio', op: '>=', value: 0.8 },
          ],
          notes: [
            `${result.commits} commits in the window, largest batch ${result.largestBatch} events, longest time between commits ${Math.round(result.longestGapMs)} ms`,
            `${result.feed.sent} events sent, ${stored} stored (${lost === 0 ? 'none lost' : `${lost} MISSING`}), ${calls} calls; drained ${Math.round(result.drainMs)} ms after the feed stopped`,
            result.spill
              ? `the engine ran with its spill log, as \`npm start\` does: ${result.spill.spilled} events went through it (peak ${Math.round(result.spill.peakBytes / 2 ** 20)} MB on disk), ${result.spill.lost} lost`
              : 'the engine ran without a spill log',
            `against the same sustained COPY in binary format (the engine's own format): ${Math.round(sustained.binary.rowsPerSec)} rows/s, ratio ${ratio(sustained.binary.rowsPerSec)}`,
            `the fake Asterisk sender stood blocked by backpressure ${Math.round(result.feed.blockedMs / 100) / 10} s of ${Math.round(result.feed.elapsedMs / 1000)} s; ` +
              `it rendered ${Math.min(result.prepared, result.feed.sent)} of the events it sent ahead of the run, the rest as it sent them`,
            ...(cpu ? [`CPU per event in the window (the machine has ${availableParallelism()} cores): ${cpu}`] : []),
          ],
        }),
        // For reference, without the targets: a short burst is not the sustained comparison they are about.
        figure({
          benchmark: 'e2e',
          metric: `${metric}, against a burst (for reference)`,
          value: result.eventsPerSec,
          unit: 'events/s',
          baseline: { label: `burst raw COPY (text format) of ${burst.text.rows} of the same rows, 100,000 per fresh table after a CHECKPOINT`, value: burst.text.rowsPerSec, unit: 'rows/s' },
          notes: [`against the same burst in binary format: ${Math.round(burst.binary.rowsPerSec)} rows/s, ratio ${ratio(burst.binary.rowsPerSec)}`],
        }),
      ];
    } finally {
      rmSync(spillDir, { recursive: true, force: true });
      await close();
    }
  },
};
