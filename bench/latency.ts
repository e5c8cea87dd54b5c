import pg from 'pg';
import { forEachArrival } from '../src/store/batch-events.ts';
import type { Benchmark } from './support/benchmark.ts';
import { openBenchStore } from './support/database.ts';
import { startEngine } from './support/engine-harness.ts';
import { FakeFeed } from './support/fake-feed.ts';
import { figure } from './support/figures.ts';
import { percentile, sleep } from './support/stats.ts';
import { observedStore } from './support/store-wrappers.ts';
import { VisibilityProbe } from './support/visibility-probe.ts';

// Latency at an offered 5,000 events/s (paced by the fake-Asterisk process, over the real WebSocket):
// event arrival → durable commit for every event, and event → visible through the real HTTP API
// (/api/live and GET /api/calls/:id). Baselines: the floor of a durable commit on the same database
// (one row, one transaction) and the round trip of GET /api/calls/:id for a call already stored.

const OFFERED_PER_SEC = 5_000;
const FLOOR_SAMPLES = 300;

async function durableCommitFloorMs(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE bench_commit_floor (id int)');
    const samples: number[] = [];
    for (let i = 0; i < FLOOR_SAMPLES; i++) {
      const started = performance.now();
      await client.query('INSERT INTO bench_commit_floor VALUES ($1)', [i]);
      samples.push(performance.now() - started);
    }
    await client.query('DROP TABLE bench_commit_floor');
    return samples;
  } finally {
    await client.end();
  }
}

async function getRoundTripMs(baseUrl: string, callId: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < FLOOR_SAMPLES; i++) {
    const started = performance.now();
    const res = await fetch(`${baseUrl}/api/calls/${encodeURIComponent(callId)}`);
    await res.arrayBuffer();
    samples.push(performance.now() - started);
  }
  return samples;
}

export const latencyBenchmark: Benchmark = {
  name: 'latency',
  title: `Latency at an offered ${OFFERED_PER_SEC} events/s (commit, /api/live, GET /api/calls/:id)`,
  needsPostgres: true,
  timeoutMs: (quick) => (quick ? 60_000 : 120_000),
  async run(ctx) {
    const warmupMs = ctx.options.quick ? 2_000 : 3_000;
    const windowMs = ctx.options.quick ? 8_000 : 20_000;
    const { store, db, close } = await openBenchStore(ctx.options.postgresUrl);
    const feed = await FakeFeed.start();
    try {
      const commitMs: number[] = [];
      let window = { startMs: Infinity, endMs: Infinity };
      const observed = observedStore(store, (batch, committedAtMs) => {
        forEachArrival(batch, (arrived, events) => {
          if (arrived < window.startMs || arrived > window.endMs) return;
          for (let i = 0; i < events; i++) commitMs.push(committedAtMs - arrived);
        });
      });
      // The probe needs the server's address, the server needs the probe's tap: the tap looks it up late.
      let probe: VisibilityProbe | null = null;
      const harness = await startEngine({ store: observed, ariUrl: feed.url, http: true, tap: (text, at) => probe?.tap(text, at) });
      const realProbe = new VisibilityProbe(harness.baseUrl!, 10);
      probe = realProbe;
      try {
        await realProbe.connect();
        await harness.synced;
        const sending = feed.stream({ traffic: {}, maxEvents: Number.MAX_SAFE_INTEGER, ratePerSec: OFFERED_PER_SEC, durationMs: warmupMs + windowMs }, warmupMs + windowMs + 30_000);
        await sleep(warmupMs);
        window = { startMs: Date.now(), endMs: Date.now() + windowMs };
        realProbe.setWindow(window.startMs, window.endMs);
        ctx.log(`measuring ${windowMs / 1000} s at ${OFFERED_PER_SEC} events/s`);
        const fed = await sending;
        await harness.engine.ingestor.flush();
        await sleep(200);
        await realProbe.close();
        const someCall = (await store.listCalls({}, null, 1)).items[0]?.id ?? '';
        const getFloor = await getRoundTripMs(harness.baseUrl!, someCall);
        const commitFloor = await durableCommitFloorMs(db.url);
        const achieved = (fed.sent * 1000) / fed.elapsedMs;
        const load = `offered ${OFFERED_PER_SEC}/s, sent ${Math.round(achieved)}/s over ${Math.round(fed.elapsedMs / 1000)} s`;
        const p = (samples: number[], q: number): number => percentile(samples, q);
        return [
          figure({
            benchmark: 'latency',
            metric: 'arrival → durable commit p99',
            value: p(commitMs, 99),
            unit: 'ms',
            baseline: { label: 'p99 of a one-row durable commit', value: p(commitFloor, 99) },
            targets: [{ of: 'value', op: '<=', value: 50 }],
            notes: [`p50 ${p(commitMs, 50)} ms, p95 ${p(commitMs, 95)} ms, max ${Math.max(...commitMs)} ms over ${commitMs.length} events; ${load}`],
          }),
          figure({
            benchmark: 'latency',
            metric: 'event → visible on /api/live p99',
            value: p([...realProbe.liveCreatedMs, ...realProbe.liveFinishedMs], 99),
            unit: 'ms',
            baseline: { label: 'p99 of a one-row durable commit', value: p(commitFloor, 99) },
            targets: [{ of: 'value', op: '<=', value: 100 }],
            notes: [
              `call.created p50/p99 ${p(realProbe.liveCreatedMs, 50)}/${p(realProbe.liveCreatedMs, 99)} ms (${realProbe.liveCreatedMs.length} calls), ` +
                `call.finished p50/p99 ${p(realProbe.liveFinishedMs, 50)}/${p(realProbe.liveFinishedMs, 99)} ms (${realProbe.liveFinishedMs.length} calls)`,
            ],
          }),
          figure({
            benchmark: 'latency',
            metric: 'event → visible in GET /api/calls/:id p99',
            value: p(realProbe.getMs, 99),
            unit: 'ms',
            baseline: { label: 'p99 of GET /api/calls/:id of a stored call', value: p(getFloor, 99) },
            targets: [{ of: 'value', op: '<=', value: 100 }],
            notes: [
              `p50 ${p(realProbe.getMs, 50)} ms over ${realProbe.getMs.length} sampled new calls (one new call in 10, polled every 5 ms)` +
                (realProbe.getTimeouts > 0 ? `; ${realProbe.getTimeouts} never became visible within 10 s` : ''),
            ],
          }),
        ];
      } finally {
        await harness.stop();
      }
    } finally {
      await feed.close();
      await close();
    }
  },
};
