import { availableParallelism } from 'node:os';
import type { Benchmark } from './support/benchmark.ts';
import { openBenchStore, queryOnce } from './support/database.ts';
import { figure } from './support/figures.ts';
import { rawCopyRates } from './support/raw-copy.ts';
import { cpuPerEvent, measureThroughput } from './support/throughput.ts';

// End to end and durable on PostgreSQL: a separate fake-Asterisk process → real WebSocket → the real
// AriConnection → Engine → PostgreSQL (calls, legs and raw events, synchronous_commit on), in a fresh
// database. Baseline: a raw COPY of the same event rows into an equivalent table of that database, in
// PostgreSQL's default text format (a plain COPY, as the issue measured its ceiling); the same COPY in
// binary format, the one the engine itself sends and PostgreSQL reads faster, is reported beside it.

/** Events per second of the run the fake Asterisk renders ahead: above the 40,000/s target. */
const PREPARE_PER_SEC = 50_000;

export const e2ePostgresBenchmark: Benchmark = {
  name: 'e2e',
  title: 'End to end, durable on PostgreSQL (fake Asterisk process → WebSocket → engine → PostgreSQL)',
  needsPostgres: true,
  timeoutMs: (quick) => (quick ? 90_000 : 240_000),
  async run(ctx) {
    const quick = ctx.options.quick;
    const warmupMs = quick ? 3_000 : 5_000;
    const windowMs = quick ? 10_000 : 60_000;
    const { store, db, close } = await openBenchStore(ctx.options.postgresUrl);
    try {
      await queryOnce(db.url, 'CHECKPOINT');
      const result = await measureThroughput({ store, warmupMs, windowMs, log: ctx.log, databaseUrl: db.url, preparePerSec: PREPARE_PER_SEC });
      const [{ n: stored } = { n: 0 }] = await queryOnce<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM events');
      const [{ n: calls } = { n: 0 }] = await queryOnce<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM calls');
      ctx.log(`engine: ${Math.round(result.eventsPerSec)} events/s; ${result.feed.sent} sent, ${stored} stored, ${calls} calls`);
      // Pieces of 100,000 rows alternate between the formats; more of them average out a noisy host.
      const copyRows = Math.min(stored, quick ? 200_000 : 600_000);
      const rates = await rawCopyRates(db.url, 'events', copyRows);
      const raw = rates.text;
      ctx.log(`raw COPY: ${Math.round(raw.rowsPerSec)} rows/s in text format, ${Math.round(rates.binary.rowsPerSec)} rows/s in binary format`);
      const lost = result.feed.sent - stored;
      const cpu = cpuPerEvent(result.cpu);
      if (cpu) ctx.log(`CPU per event committed in the window: ${cpu}`);
      return [
        figure({
          benchmark: 'e2e',
          metric: `durable events/s sustained over ${windowMs / 1000} s`,
          value: result.eventsPerSec,
          unit: 'events/s',
          baseline: { label: `raw COPY (text format) of ${raw.rows} of the same event rows`, value: raw.rowsPerSec, unit: 'rows/s' },
          targets: [
            { of: 'value', op: '>=', value: 40_000 },
            { of: 'ratio', op: '>=', value: 0.66 },
          ],
          notes: [
            `${result.commits} commits in the window, largest batch ${result.largestBatch} events, longest time between commits ${Math.round(result.longestGapMs)} ms`,
            `${result.feed.sent} events sent, ${stored} stored (${lost === 0 ? 'none lost' : `${lost} MISSING`}), ${calls} calls; drained ${Math.round(result.drainMs)} ms after the feed stopped`,
            `against a raw COPY of the same rows in binary format (the engine's own format): ${Math.round(rates.binary.rowsPerSec)} rows/s, ratio ${(result.eventsPerSec / rates.binary.rowsPerSec).toFixed(3)}`,
            `the fake Asterisk sender stood blocked by backpressure ${Math.round(result.feed.blockedMs / 100) / 10} s of ${Math.round(result.feed.elapsedMs / 1000)} s; ` +
              `it rendered ${Math.min(result.prepared, result.feed.sent)} of the events it sent ahead of the run, the rest as it sent them`,
            ...(cpu ? [`CPU per event in the window (the machine has ${availableParallelism()} cores): ${cpu}`] : []),
          ],
        }),
      ];
    } finally {
      await close();
    }
  },
};
