import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../src/app/logger.ts';
import { parseCrmConfig } from '../src/crm/config.ts';
import { createCrm } from '../src/crm/crm-service.ts';
import { openStore } from '../src/store/open-store.ts';
import type { SqlStore } from '../src/store/sql-store.ts';
import { callSnapshots } from '../test/crm/helpers/calls.ts';
import { FakeBitrix } from '../test/support/fake-bitrix.ts';
import type { Benchmark } from './support/benchmark.ts';
import { openBenchStore } from './support/database.ts';
import { figure, type Figure } from './support/figures.ts';

// 1,000 finished calls queued at once towards the loopback Bitrix24 portal (leaky bucket 2/s, burst 50,
// 503 QUERY_LIMIT_EXCEEDED above it): what rate the portal sees against the configured one, how many
// 503s, and how long until every call is registered and finished (2 requests per call).
// `timeScale` multiplies the rate on both sides (portal and limiter) so a run fits in minutes; the
// burst is a count and stays as configured. At timeScale 1 a full run takes about 16 minutes.

export interface CrmBenchOptions {
  calls?: number;
  perSecond?: number;
  burst?: number;
  timeScale?: number;
  /** PostgreSQL admin URL; the embedded database when absent. */
  postgresUrl?: string;
  log?: (message: string) => void;
}

export interface CrmBenchResult {
  calls: number;
  /** Portal limit as seen by both sides (after timeScale). */
  limit: { perSecond: number; burst: number };
  requestsServed: number;
  rejected503: number;
  /** Most requests the portal served in any 1-second window; the limit allows burst + perSecond at most. */
  maxPerSecondWindow: number;
  /** Served requests per second over the second half of the run (the burst long spent). */
  sustainedPerSecond: number;
  /** Highest level of the portal's leaky bucket (it refuses above burst). */
  maxBucketLevel: number;
  completionSec: number;
  /** (requests - burst) / perSecond: nothing can finish sooner within the limit. */
  floorSec: number;
  allFinished: boolean;
}

function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] as number) - (times[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

async function openBench(postgresUrl: string | undefined): Promise<{ store: SqlStore; close(): Promise<void> }> {
  if (postgresUrl) return openBenchStore(postgresUrl, 4);
  const store = await openStore({ dataDir: 'memory://' });
  await store.migrate();
  return { store, close: () => store.close() };
}

export async function runCrmBench(options: CrmBenchOptions = {}): Promise<CrmBenchResult> {
  const calls = options.calls ?? 1000;
  const scale = options.timeScale ?? 1;
  const limit = { perSecond: (options.perSecond ?? 2) * scale, burst: options.burst ?? 50 };
  const log = options.log ?? (() => undefined);
  const fake = await new FakeBitrix(limit).start();
  const bench = await openBench(options.postgresUrl);
  const config = parseCrmConfig({
    bitrix24: { webhookUrl: fake.webhookUrl, defaultUserId: 1, showCard: 'never', rate: limit },
    outbox: { settleMs: 0, pollIntervalMs: 100 },
  });
  const crm = createCrm({ config, sql: bench.store.sql, logger: silentLogger() });
  try {
    const finished = Array.from({ length: calls }, () => callSnapshots({ disposition: 'answered' }).at(-1)!);
    for (let i = 0; i < finished.length; i += 250) {
      const chunk = finished.slice(i, i + 250);
      await bench.store.writeBatch({
        events: [],
        calls: chunk,
        merges: [],
        outbox: chunk.flatMap((current) => crm.plan({ previous: null, current })),
      });
    }
    log(`${calls} calls queued (${calls * 2} requests); portal ${limit.perSecond}/s burst ${limit.burst}`);
    const started = Date.now();
    crm.worker.start();
    let lastReport = started;
    for (;;) {
      await sleep(200);
      const [row] = await bench.store.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE status <> 'delivered'");
      if (Number(row?.n) === 0) break;
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        log(`${fake.served().length} requests served, ${Number(row?.n)} deliveries left, ${fake.rejectedByLimit} × 503`);
      }
    }
    const completionSec = (Date.now() - started) / 1000;
    const served = fake.served().map((r) => r.atMs);
    const first = served[0] ?? 0;
    const last = served.at(-1) ?? 0;
    const half = served.filter((t) => t >= first + (last - first) / 2);
    const halfSpanSec = half.length > 1 ? ((half.at(-1) as number) - (half[0] as number)) / 1000 : 0;
    return {
      calls,
      limit,
      requestsServed: served.length,
      rejected503: fake.rejectedByLimit,
      maxPerSecondWindow: maxInWindow(served, 1000),
      sustainedPerSecond: halfSpanSec > 0 ? (half.length - 1) / halfSpanSec : 0,
      maxBucketLevel: fake.maxLevel,
      completionSec,
      floorSec: Math.max(0, (calls * 2 - limit.burst) / limit.perSecond),
      allFinished: finished.every((c) => fake.callsByExternalId(c.id)[0]?.finish),
    };
  } finally {
    await crm.close(1000);
    await bench.close();
    await fake.close();
  }
}

export function crmFigures(r: CrmBenchResult): Figure[] {
  const benchmark = 'crm-outbox';
  const note = `${r.calls} finished calls, portal ${r.limit.perSecond}/s burst ${r.limit.burst}`;
  return [
    figure({
      benchmark,
      metric: 'sustained requests/s at the portal',
      value: r.sustainedPerSecond,
      unit: 'req/s',
      baseline: { label: 'configured rate', value: r.limit.perSecond },
      targets: [{ of: 'ratio', op: '<=', value: 1.02 }],
      notes: [note],
    }),
    figure({
      benchmark,
      metric: 'most requests in any second',
      value: r.maxPerSecondWindow,
      unit: 'req',
      baseline: { label: 'burst + rate', value: r.limit.burst + r.limit.perSecond },
      targets: [{ of: 'ratio', op: '<=', value: 1 }],
    }),
    figure({ benchmark, metric: '503 QUERY_LIMIT_EXCEEDED answers', value: r.rejected503, unit: '', targets: [{ of: 'value', op: '<=', value: 5 }] }),
    figure({
      benchmark,
      metric: 'time to deliver every call',
      value: r.completionSec,
      unit: 's',
      baseline: { label: 'floor at the limit', value: r.floorSec },
      targets: [{ of: 'ratio', op: '<=', value: 1.15 }],
      notes: [r.allFinished ? 'every call registered and finished' : 'SOME CALLS NOT FINISHED'],
    }),
  ];
}

/** For bench/registry.ts: time-compressed ×10 (×20 and 200 calls with --quick). */
export const crmOutboxBenchmark: Benchmark = {
  name: 'crm-outbox',
  title: '1,000 finished calls through the outbox to a rate-limited Bitrix24 portal',
  needsPostgres: false,
  timeoutMs: (quick) => (quick ? 120_000 : 600_000),
  async run(ctx) {
    const quick = ctx.options.quick;
    return crmFigures(await runCrmBench({ calls: quick ? 200 : 1000, timeScale: quick ? 20 : 10, log: ctx.log }));
  },
};

// `npx tsx bench/crm-outbox.ts [--calls N] [--scale S] [--postgres URL]`
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const result = await runCrmBench({
    calls: Number(arg('calls') ?? 1000),
    timeScale: Number(arg('scale') ?? 1),
    postgresUrl: arg('postgres'),
    log: (m) => process.stderr.write(`${m}\n`),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
