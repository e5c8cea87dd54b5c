import type { Store } from '../../src/store/types.ts';
import { startEngine } from './engine-harness.ts';
import { FakeFeed, type FeedResult } from './fake-feed.ts';
import { CounterSampler, percentile, sleep } from './stats.ts';

// Sustained durable ingest: the fake-Asterisk process streams as fast as the engine reads (its socket's
// backpressure paces it), the engine commits to `store`, and the committed count is sampled every
// second. The figure is the rate over a fixed window after a warm-up; afterwards the feed stops, the
// engine drains, and what was committed is checked against what was sent.

export interface ThroughputOptions {
  store: Store;
  warmupMs: number;
  windowMs: number;
  log: (message: string) => void;
}

export interface ThroughputResult {
  eventsPerSec: number;
  /** Slowest and 10th-percentile one-second rates within the window. */
  minSecondRate: number;
  p10SecondRate: number;
  feed: FeedResult;
  committed: number;
  drainMs: number;
}

const DRAIN_TIMEOUT_MS = 60_000;

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const feed = await FakeFeed.start();
  try {
    const harness = await startEngine({ store: options.store, ariUrl: feed.url });
    try {
      const { engine } = harness;
      const sampler = new CounterSampler(() => engine.ingestor.committedEvents, 1000);
      sampler.start();
      const sending = feed.stream(
        { traffic: {}, maxEvents: Number.MAX_SAFE_INTEGER, ratePerSec: null, durationMs: options.warmupMs + options.windowMs },
        options.warmupMs + options.windowMs + 60_000,
      );
      await sleep(options.warmupMs);
      const start = sampler.take();
      options.log(`warm-up done (${start.count} events committed); measuring ${options.windowMs / 1000} s`);
      await sleep(options.windowMs);
      const end = sampler.take();
      const fed = await sending;
      const drainStarted = performance.now();
      while (engine.ingestor.committedEvents < fed.sent && performance.now() - drainStarted < DRAIN_TIMEOUT_MS) await sleep(20);
      await engine.ingestor.flush();
      const drainMs = performance.now() - drainStarted;
      sampler.stop();
      const seconds = sampler.intervalRates(start.atMs).slice(0, Math.floor(options.windowMs / 1000));
      return {
        eventsPerSec: ((end.count - start.count) * 1000) / (end.atMs - start.atMs),
        minSecondRate: Math.min(...seconds),
        p10SecondRate: percentile(seconds, 10),
        feed: fed,
        committed: engine.ingestor.committedEvents,
        drainMs,
      };
    } finally {
      await harness.stop();
    }
  } finally {
    await feed.close();
  }
}
