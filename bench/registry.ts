import { apiBenchmark } from './api.ts';
import { backpressureBenchmark } from './backpressure.ts';
import { crmOutboxBenchmark } from './crm-outbox.ts';
import { e2ePostgresBenchmark } from './e2e-postgres.ts';
import { embeddedBenchmark } from './embedded.ts';
import { latencyBenchmark } from './latency.ts';
import { memoryBenchmark } from './memory.ts';
import { pipelineBenchmark } from './pipeline.ts';
import { routingBenchmark } from './routing.ts';
import { spillBenchmark } from './spill.ts';
import type { Benchmark } from './support/benchmark.ts';

// Every benchmark `npm run bench` runs, in this order (cheap and independent ones first). Latency runs before
// the 60-second e2e run: right after it, even a one-row durable commit was slow for a while (p99 2.8 ms instead
// of 0.7 ms) and the latency figures measured that aftermath (commit p99 63-223 ms against 20-31 ms).

export const BENCHMARKS: readonly Benchmark[] = [
  pipelineBenchmark,
  latencyBenchmark,
  e2ePostgresBenchmark,
  memoryBenchmark,
  embeddedBenchmark,
  apiBenchmark,
  backpressureBenchmark,
  spillBenchmark,
  crmOutboxBenchmark,
  routingBenchmark,
];

export function benchmarkNamed(name: string): Benchmark | undefined {
  return BENCHMARKS.find((b) => b.name === name);
}
