import { failedFigure, type Figure } from './support/figures.ts';
import type { BenchOptions } from './support/options.ts';
import { benchmarkNamed } from './registry.ts';

// Runs ONE benchmark in this process and sends its figures to run.ts over IPC.
// Usage (by run.ts): child.ts <name> <options JSON>

export interface ChildResult {
  kind: 'figures';
  figures: Figure[];
}

async function main(): Promise<void> {
  const [name = '', optionsJson = '{}'] = process.argv.slice(2);
  const options = JSON.parse(optionsJson) as BenchOptions;
  const benchmark = benchmarkNamed(name);
  let figures: Figure[];
  if (!benchmark) {
    figures = [failedFigure(name, `no benchmark named ${name}`)];
  } else {
    try {
      figures = await benchmark.run({ options, log: (message) => process.stderr.write(`  [${name}] ${message}\n`) });
    } catch (error) {
      process.stderr.write(`  [${name}] failed: ${(error as Error).stack ?? String(error)}\n`);
      figures = [failedFigure(name, `failed: ${(error as Error).message}`)];
    }
  }
  const result: ChildResult = { kind: 'figures', figures };
  process.send?.(result, () => process.exit(0));
  if (!process.send) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  }
}

void main();
