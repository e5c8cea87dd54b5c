import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTraffic, DEFAULT_TRAFFIC_START_MS } from '../src/sim/traffic.ts';
import { ENGINE_NODE_FLAGS } from '../src/cli/node-flags.ts';
import type { Benchmark } from './support/benchmark.ts';
import { figure } from './support/figures.ts';
import { endChild, forkTsx, nextMessage } from './support/spawn-tsx.ts';
import { benchTraffic, BENCH_SEED, eventTextStream } from './support/traffic.ts';
import type { MemoryResult } from './memory-worker.ts';

// Memory per open call: the first second of traffic with N concurrent calls (every call of the first
// wave starts within the generator's first second and has had its opening events), held by the real
// pipeline in a process of its own; RSS after forced GC, above the RSS of that process running idle
// (see memory-worker.ts), divided by the open calls. Baseline: the same kind of events held by a
// minimal tracker measured the same way. The engine is measured in RUNS processes and the median is the
// figure: the JS heap per call is the same in every run (1,501-1,502 bytes), while the RSS above it, the
// allocator's and V8's slack, moved by ±7% between single runs (1,807-2,065 bytes per call in session 7).

const WORKER = new URL('./memory-worker.ts', import.meta.url);
const WARMUP_EVENTS = 300_000;
const MINIMAL_CALLS = 25_000;
const RUNS = 3;
/** Every call of the first wave has started by then (a few short ones have already ended). */
const OPEN_WINDOW_MS = 1_000;

function* openingEvents(calls: number): Generator<string> {
  const endMs = DEFAULT_TRAFFIC_START_MS + OPEN_WINDOW_MS;
  for (const e of generateTraffic(benchTraffic({ calls, concurrency: calls }))) {
    if (e.atMs > endMs) return;
    yield e.text;
  }
}

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  let chunk = '';
  for (const line of lines) {
    chunk += `${line}\n`;
    if (chunk.length < 1 << 16) continue;
    if (!out.write(chunk)) await once(out, 'drain');
    chunk = '';
  }
  out.end(chunk);
  await once(out, 'finish');
}

async function measure(mode: 'engine' | 'minimal', warmupFile: string, heldFile: string): Promise<MemoryResult> {
  const child = forkTsx(WORKER, [mode, warmupFile, heldFile], ['--expose-gc', ...ENGINE_NODE_FLAGS]);
  try {
    return await nextMessage(child, (m) => ((m as MemoryResult).kind === 'memory' ? (m as MemoryResult) : undefined), 240_000, `memory worker (${mode})`);
  } finally {
    await endChild(child);
  }
}

export const memoryBenchmark: Benchmark = {
  name: 'memory',
  title: 'Memory per open call (RSS above idle, after forced GC)',
  needsPostgres: false,
  timeoutMs: (quick) => (quick ? 90_000 : 420_000),
  async run(ctx) {
    const calls = ctx.options.quick ? 25_000 : 100_000;
    const perCall = (r: MemoryResult): number => (r.rss - r.idleRss) / r.openCalls;
    const dir = await mkdtemp(join(tmpdir(), 'callflow-bench-memory-'));
    const engineRuns: MemoryResult[] = [];
    let minimal: MemoryResult;
    try {
      const warmup = join(dir, 'warmup.ndjson');
      const held = join(dir, 'held.ndjson');
      // Other traffic than the held one, so nothing of the warm-up can be mistaken for held state.
      await writeLines(warmup, eventTextStream(WARMUP_EVENTS, { seed: BENCH_SEED + 1 }));
      // A few percent more calls than asked, so that at least `calls` are still open at the end.
      await writeLines(held, openingEvents(Math.ceil(calls * 1.1)));
      for (let run = 0; run < (ctx.options.quick ? 1 : RUNS); run++) {
        const result = await measure('engine', warmup, held);
        engineRuns.push(result);
        ctx.log(`run ${run + 1}: ${result.openCalls} open calls held after ${result.events} events, ${Math.round(perCall(result))} bytes RSS per call`);
      }
      // The baseline's cost per call does not depend on how many calls there are: a smaller run will do.
      if (calls > MINIMAL_CALLS) await writeLines(held, openingEvents(Math.ceil(MINIMAL_CALLS * 1.1)));
      minimal = await measure('minimal', warmup, held);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const byRss = [...engineRuns].sort((a, b) => perCall(a) - perCall(b));
    const engine = byRss[Math.floor(byRss.length / 2)]!;
    const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
    return [
      figure({
        benchmark: 'memory',
        metric: `RSS per open call, ${engine.openCalls} calls held`,
        value: perCall(engine),
        unit: 'bytes',
        baseline: { label: 'minimal tracker: channel → call map, status and start per call', value: perCall(minimal) },
        targets: [{ of: 'value', op: '<=', value: 2048 }],
        notes: [
          `RSS ${mb(engine.idleRss)} MB idle (after parsing ${WARMUP_EVENTS} events and dropping them) → ${mb(engine.rss)} MB with ${engine.openCalls} open calls ` +
            `(${engine.events} events, ${(engine.events / engine.openCalls).toFixed(1)} per call); JS heap ${Math.round((engine.heap - engine.idleHeap) / engine.openCalls)} bytes per call`,
          `counted from the fresh process (${mb(engine.coldRss)} MB) instead: ${Math.round((engine.rss - engine.coldRss) / engine.openCalls)} bytes per call; ` +
            `of the RSS growth, ${mb(engine.young - engine.idleYoung)} MB is V8's young generation grown with the allocation rate (${mb(engine.idleYoung)} → ${mb(engine.young)} MB), whatever the number of calls`,
          `median of ${engineRuns.length} run(s), each in a fresh process: ${engineRuns.map((r) => Math.round(perCall(r))).join(', ')} bytes RSS per call`,
        ],
      }),
    ];
  },
};
