import { configSchema, type Config } from '../../src/config/schema.ts';
import type { Figure } from './figures.ts';
import type { BenchOptions } from './options.ts';

// The shape of one benchmark. run.ts runs each in a process of its own (bench/child.ts), so one
// benchmark's garbage, JIT state or open sockets never colour the next one's figures.

export interface BenchContext {
  options: BenchOptions;
  /** Progress for the person watching; goes to stderr so stdout keeps the table and the JSON line. */
  log(message: string): void;
}

export interface Benchmark {
  name: string;
  title: string;
  needsPostgres: boolean;
  /** Hard limit for the whole benchmark; its process is killed past it. */
  timeoutMs(quick: boolean): number;
  run(ctx: BenchContext): Promise<Figure[]>;
}

/** The shipped defaults: benchmarks measure the engine as it is configured out of the box. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
