import { apiBenchmark } from './api.ts';
import { backpressureBenchmark } from './backpressure.ts';
import { crmOutboxBenchmark } from './crm-outbox.ts';
import { e2ePostgresBenchmark } from './e2e-postgres.ts';
import { embeddedBenchmark } from './embedded.ts';
import { latencyBenchmark } from './latency.ts';
import { memoryBenchmark } from './memory.ts';
import { pipelineBenchmark } from './pipeline.ts';
import type { Benchmark } from './support/benchmark.ts';

// Every benchmark `npm run bench` runs, in this order (cheap and independent ones first).

export const BENCHMARKS: readonly Benchmark[] = [pipelineBenchmark, e2ePostgresBenchmark, latencyBenchmark, memoryBenchmark, embeddedBenchmark, apiBenchmark, backpressureBenchmark, crmOutboxBenchmark];

export function benchmarkNamed(name: string): Benchmark | undefined {
  return BENCHMARKS.find((b) => b.name === name);
}
