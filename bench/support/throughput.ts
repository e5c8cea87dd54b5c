import { eventCount } from '../../src/store/batch-events.ts';
import type { Store } from '../../src/store/types.ts';
import { startEngine } from './engine-harness.ts';
import { FakeFeed, type FeedResult } from './fake-feed.ts';
import { CpuMeter } from './cpu-time.ts';
import { queryOnce } from './database.ts';
import { sleep } from './stats.ts';
import { observedStore } from './store-wrappers.ts';

// Sustained durable ingest: the fake-Asterisk process streams as fast as the engine reads (its socket's
// backpressure paces it), the engine commits to `store`. Every commit is timed; the figure is the events
// committed between the first and the last commit inside a fixed window after a warm-up, divided by the
// time between those two commits (counting whole batches at their commit times, so a window is not
// skewed by where batch boundaries happen to fall). Afterwards the feed stops, the engine drains, and
// what was committed is checked against what was sent.

export interface ThroughputOptions {
  store: Store;
  warmupMs: number;
  windowMs: number;
  log: (message: string) => void;
  /** The PostgreSQL database the store writes to, to find its writer's server process (CPU time). */
  databaseUrl?: string;
  /**
   * The fake Asterisk renders and frames this many events per second of the run before the engine starts
   * (a rate above what the engine reaches here), so that within the run it costs the shared cores only
   * its socket writes; past them it renders as it sends.
   */
  preparePerSec: number;
  /** A folder for the engine's spill log, as the composition root gives it; without it the engine pauses its source. */
  spillDir?: string;
}

/** CPU time used inside the window, in ms, per process (null where it could not be read). */
export interface WindowCpu {
  engine: number | null;
  fake: number | null;
  database: number | null;
  /** Events committed inside the window (the CPU's denominator). */
  events: number;
}

export interface ThroughputResult {
  eventsPerSec: number;
  /** Commits inside the window, their largest batch and the longest time between two of them. */
  commits: number;
  largestBatch: number;
  longestGapMs: number;
  feed: FeedResult;
  /** Events the fake rendered ahead of the run. */
  prepared: number;
  committed: number;
  drainMs: number;
  cpu: WindowCpu;
  /** Events that went through the spill log, and events it had to drop (null without one). */
  spill: { spilled: number; lost: number; peakBytes: number } | null;
}

const DRAIN_TIMEOUT_MS = 60_000;
const PREPARE_TIMEOUT_MS = 120_000;

interface Commit {
  atMs: number;
  events: number;
  /** Events committed up to and including this batch. */
  total: number;
}

type WindowRate = Pick<ThroughputResult, 'eventsPerSec' | 'commits' | 'largestBatch' | 'longestGapMs'>;

function windowRate(commits: readonly Commit[], startMs: number, endMs: number): WindowRate {
  const inside = commits.filter((c) => c.atMs >= startMs && c.atMs <= endMs);
  if (inside.length < 2) return { eventsPerSec: 0, commits: inside.length, largestBatch: 0, longestGapMs: endMs - startMs };
  const first = inside[0]!;
  const last = inside[inside.length - 1]!;
  let longestGapMs = 0;
  for (let i = 1; i < inside.length; i++) longestGapMs = Math.max(longestGapMs, inside[i]!.atMs - inside[i - 1]!.atMs);
  return {
    // The first commit's own events were ingested before the span began.
    eventsPerSec: ((last.total - first.total) * 1000) / (last.atMs - first.atMs),
    commits: inside.length,
    largestBatch: Math.max(...inside.map((c) => c.events)),
    longestGapMs,
  };
}

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const commits: Commit[] = [];
  let total = 0;
  const store = observedStore(options.store, (batch) => {
    const events = eventCount(batch);
    total += events;
    commits.push({ atMs: performance.now(), events, total });
  });
  const feed = await FakeFeed.start();
  try {
    const runMs = options.warmupMs + options.windowMs;
    const ready = await feed.prepare({}, Math.ceil((options.preparePerSec * runMs) / 1000), PREPARE_TIMEOUT_MS);
    options.log(`fake Asterisk: ${ready.events} events rendered and framed ahead (${Math.round(ready.bytes / 2 ** 20)} MB) in ${(ready.ms / 1000).toFixed(1)} s`);
    const harness = await startEngine({ store, ariUrl: feed.url, ...(options.spillDir === undefined ? {} : { spillDir: options.spillDir }) });
    try {
      const { engine } = harness;
      let peakBytes = 0;
      const spillSampler = engine.spill ? setInterval(() => (peakBytes = Math.max(peakBytes, engine.spill!.bytes)), 100) : null;
      await harness.synced;
      const sending = feed.stream(
        { traffic: {}, maxEvents: Number.MAX_SAFE_INTEGER, ratePerSec: null, durationMs: runMs },
        runMs + 60_000,
      );
      await sleep(options.warmupMs);
      const databasePid = options.databaseUrl === undefined ? undefined : await writerPid(options.databaseUrl);
      const cpu = new CpuMeter(() => ({ engine: process.pid, fake: feed.pid, database: databasePid }));
      cpu.start();
      const totalAtStart = total;
      const startMs = performance.now();
      options.log(`warm-up done (${total} events committed); measuring ${options.windowMs / 1000} s`);
      await sleep(options.windowMs);
      const endMs = performance.now();
      const windowCpu: WindowCpu = { ...cpu.stop(), events: total - totalAtStart };
      const fed = await sending;
      const drainStarted = performance.now();
      while (engine.ingestor.committedEvents < fed.sent && performance.now() - drainStarted < DRAIN_TIMEOUT_MS) await sleep(20);
      await engine.ingestor.flush();
      if (spillSampler) clearInterval(spillSampler);
      return {
        ...windowRate(commits, startMs, endMs),
        feed: fed,
        prepared: ready.events,
        committed: engine.ingestor.committedEvents,
        drainMs: performance.now() - drainStarted,
        cpu: windowCpu,
        spill: engine.spill ? { spilled: engine.spill.spilled, lost: engine.spill.lost, peakBytes } : null,
      };
    } finally {
      await harness.stop();
    }
  } finally {
    await feed.close();
  }
}

/** The server process of the engine's writer connection (application_name callflow-writer). */
async function writerPid(url: string): Promise<number | undefined> {
  const rows = await queryOnce<{ pid: number }>(
    url,
    "SELECT pid FROM pg_stat_activity WHERE application_name = 'callflow-writer' AND datname = current_database()",
  );
  return rows[0]?.pid;
}

/** The window's CPU per committed event, e.g. "engine 14.2 µs, PostgreSQL 11.0 µs, ...". */
export function cpuPerEvent(cpu: WindowCpu): string | null {
  if (cpu.events === 0) return null;
  const parts: [string, number | null][] = [
    ['engine (all threads)', cpu.engine],
    ['PostgreSQL writer', cpu.database],
    ['fake Asterisk', cpu.fake],
  ];
  const known = parts.filter((p): p is [string, number] => p[1] !== null);
  if (known.length === 0) return null;
  const us = (ms: number): string => `${((ms * 1000) / cpu.events).toFixed(1)} µs`;
  const sum = known.reduce((a, [, ms]) => a + ms, 0);
  return `${known.map(([name, ms]) => `${name} ${us(ms)}`).join(', ')}; together ${us(sum)}`;
}
