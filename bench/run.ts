import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import pg from 'pg';
import type { ChildResult } from './child.ts';
import { ENGINE_NODE_FLAGS } from '../src/cli/node-flags.ts';
import { BENCHMARKS } from './registry.ts';
import { dropLeftovers, runPrefix } from './support/database.ts';
import { failedFigure, type Figure } from './support/figures.ts';
import { parseOptions, type BenchOptions } from './support/options.ts';
import { formatTable, summaryLine } from './support/report.ts';
import { endChild, forkTsx, nextMessage } from './support/spawn-tsx.ts';

// `npm run bench`: runs every benchmark (each in a process of its own), then prints the table of
// figures with their same-run baselines and ratios, and a final JSON line (BENCH_SUMMARY ...).
// See bench/support/options.ts for --quick, --only and --list.

const CHILD = new URL('./child.ts', import.meta.url);

async function postgresReachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function runOne(name: string, options: BenchOptions, timeoutMs: number): Promise<Figure[]> {
  // Benchmarks host the engine in this process: it runs with the engine's own V8 flags. BENCH_CPU_PROFILE_DIR
  // names a folder for a CPU profile of that process (all of it: setup, baselines and measured runs).
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  const profile = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : [])];
  const child = forkTsx(CHILD, [name, JSON.stringify(options)], [...ENGINE_NODE_FLAGS, ...profile]);
  try {
    const result = await nextMessage(child, (m) => ((m as ChildResult)?.kind === 'figures' ? (m as ChildResult) : undefined), timeoutMs, name);
    return result.figures;
  } catch (error) {
    // SIGTERM first: the benchmark drops its databases on it (bench/support/database.ts).
    child.kill('SIGTERM');
    return [failedFigure(name, (error as Error).message)];
  } finally {
    await endChild(child);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  // Benchmark processes inherit it and name their databases after it.
  process.env.BENCH_RUN_ID = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
  if (options.list) {
    for (const b of BENCHMARKS) process.stdout.write(`${b.name.padEnd(14)} ${b.title}\n`);
    return;
  }
  const unknown = (options.only ?? []).filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  const selected = BENCHMARKS.filter((b) => options.only === null || options.only.includes(b.name));
  const pgProblem = selected.some((b) => b.needsPostgres) ? await postgresReachable(options.postgresUrl) : null;

  const started = Date.now();
  const figures: Figure[] = [];
  for (const b of selected) {
    if (b.needsPostgres && pgProblem !== null) {
      figures.push(failedFigure(b.name, `PostgreSQL not reachable (${pgProblem}); set BENCH_DATABASE_URL`));
      continue;
    }
    process.stderr.write(`▶ ${b.name}: ${b.title}${options.quick ? ' (quick)' : ''}\n`);
    const t0 = Date.now();
    figures.push(...(await runOne(b.name, options, b.timeoutMs(options.quick))));
    process.stderr.write(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  if (pgProblem === null && selected.some((b) => b.needsPostgres)) {
    const left = await dropLeftovers(options.postgresUrl, runPrefix()).catch(() => []);
    if (left.length > 0) process.stderr.write(`dropped ${left.length} database(s) a benchmark left behind\n`);
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`\n${formatTable(figures)}\n\n`);
  process.stdout.write(
    `${summaryLine(figures, { quick: options.quick, node: process.version, cpus: cpus().length, startedAt: new Date(started).toISOString(), seconds: Math.round(seconds) })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
});
