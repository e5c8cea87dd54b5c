import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { generateTraffic, DEFAULT_TRAFFIC_START_MS } from '../src/sim/traffic.ts';
import type { Benchmark } from './support/benchmark.ts';
import { figure } from './support/figures.ts';
import { endChild, forkTsx, nextMessage } from './support/spawn-tsx.ts';
import { benchTraffic } from './support/traffic.ts';
import type { MemoryResult } from './memory-worker.ts';

// Memory per open call: the first second of traffic with N concurrent calls (every call of the first
// wave starts within the generator's first second and has had its opening events), held by the real
// pipeline in a fresh process; RSS after forced GC, above that process's idle RSS, divided by the open
// calls. Baseline: the same events held by a minimal tracker measured the same way.

const WORKER = new URL('./memory-worker.ts', import.meta.url);
const MINIMAL_CALLS = 25_000;
/** Every call of the first wave has started by then (a few short ones have already ended). */
const OPEN_WINDOW_MS = 1_000;

async function writeOpeningEvents(file: string, calls: number): Promise<number> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  let events = 0;
  const endMs = DEFAULT_TRAFFIC_START_MS + OPEN_WINDOW_MS;
  for (const e of generateTraffic(benchTraffic({ calls, concurrency: calls }))) {
    if (e.atMs > endMs) break;
    events++;
    if (!out.write(`${e.text}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return events;
}

async function measure(file: string, mode: 'engine' | 'minimal'): Promise<MemoryResult> {
  const child = forkTsx(WORKER, [file, mode], ['--expose-gc']);
  try {
    return await nextMessage(child, (m) => ((m as MemoryResult).kind === 'memory' ? (m as MemoryResult) : undefined), 180_000, `memory worker (${mode})`);
  } finally {
    await endChild(child);
  }
}

export const memoryBenchmark: Benchmark = {
  name: 'memory',
  title: 'Memory per open call (RSS above idle, after forced GC)',
  needsPostgres: false,
  timeoutMs: (quick) => (quick ? 90_000 : 300_000),
  async run(ctx) {
    const calls = ctx.options.quick ? 25_000 : 100_000;
    const dir = await mkdtemp(join(tmpdir(), 'callflow-bench-memory-'));
    try {
      const file = join(dir, 'events.ndjson');
      // A few percent more calls than asked, so that at least `calls` are still open at the end.
      const events = await writeOpeningEvents(file, Math.ceil(calls * 1.1));
      ctx.log(`${events} opening events of ${calls} calls written`);
      const engine = await measure(file, 'engine');
      // The baseline's cost per call does not depend on how many calls there are: a smaller run will do.
      const minimalFile = calls > MINIMAL_CALLS ? join(dir, 'minimal.ndjson') : file;
      if (minimalFile !== file) await writeOpeningEvents(minimalFile, MINIMAL_CALLS);
      const minimal = await measure(minimalFile, 'minimal');
      const perCall = (r: MemoryResult): number => (r.rss - r.idleRss) / r.openCalls;
      const heapPerCall = (engine.heap - engine.idleHeap) / engine.openCalls;
      return [
        figure({
          benchmark: 'memory',
          metric: `RSS per open call, ${engine.openCalls} calls held`,
          value: perCall(engine),
          unit: 'bytes',
          baseline: { label: 'minimal tracker: channel → call map, status and start per call', value: perCall(minimal) },
          targets: [{ of: 'value', op: '<=', value: 2048 }],
          notes: [
            `idle RSS ${Math.round(engine.idleRss / 2 ** 20)} MB → ${Math.round(engine.rss / 2 ** 20)} MB with ${engine.openCalls} open calls (${engine.events} events, ${(engine.events / engine.openCalls).toFixed(1)} per call); JS heap ${Math.round(heapPerCall)} bytes per call`,
            ...(engine.openCalls < calls ? [`only ${engine.openCalls} of ${calls} calls were open at the end`] : []),
          ],
        }),
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
