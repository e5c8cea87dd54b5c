import type { Benchmark } from './support/benchmark.ts';
import { openBenchStore, queryOnce } from './support/database.ts';
import { startEngine } from './support/engine-harness.ts';
import { FakeFeed } from './support/fake-feed.ts';
import { figure } from './support/figures.ts';
import { sleep } from './support/stats.ts';
import { throttledStore } from './support/store-wrappers.ts';

// Backpressure: PostgreSQL made slower than the feed (every batch first waits as long as a database
// taking THROTTLED_PER_SEC events/s would need for it), the fake Asterisk sending a fixed number of
// events as fast as its socket lets it. Shows that the engine pauses the WebSocket (the sender stands
// blocked), that memory stays bounded (the second half of the run peaks no higher than the first
// although the backlog keeps growing on the sender's side), and that every event sent is committed.

const THROTTLED_PER_SEC = 10_000;
const MAX_BUFFERED_EVENTS = 20_000;

export const backpressureBenchmark: Benchmark = {
  name: 'backpressure',
  title: `Backpressure: database throttled to ${THROTTLED_PER_SEC} events/s, below the feed`,
  needsPostgres: true,
  timeoutMs: (quick) => (quick ? 90_000 : 180_000),
  async run(ctx) {
    const events = ctx.options.quick ? 60_000 : 150_000;
    const { store, db, close } = await openBenchStore(ctx.options.postgresUrl);
    const feed = await FakeFeed.start();
    try {
      let pauses = 0;
      const harness = await startEngine({ store: throttledStore(store, THROTTLED_PER_SEC), ariUrl: feed.url, ingest: { maxBufferedEvents: MAX_BUFFERED_EVENTS } });
      const { engine } = harness;
      // Paused and resumed with the real sources; only counts.
      engine.addSource({ name: 'probe', kind: 'simulator', start: () => undefined, stop: async () => undefined, pause: () => pauses++, resume: () => undefined });
      let peakPending = 0;
      const rss: number[] = [];
      const startRss = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        peakPending = Math.max(peakPending, engine.ingestor.pendingCount);
        rss.push(process.memoryUsage().rss);
      }, 10);
      try {
        await harness.synced;
        const streamStarted = performance.now();
        const fed = await feed.stream({ traffic: {}, maxEvents: events, ratePerSec: null, durationMs: null }, 150_000);
        const drainStarted = performance.now();
        while (engine.ingestor.committedEvents < fed.sent && performance.now() - drainStarted < 60_000) await sleep(20);
        await engine.ingestor.flush();
        clearInterval(sampler);
        const [{ n: stored } = { n: 0 }] = await queryOnce<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM events');
        const half = Math.floor(rss.length / 2);
        const mb = (bytes: number): number => Math.round((bytes - startRss) / 2 ** 20);
        const [firstHalfPeak, secondHalfPeak] = [Math.max(...rss.slice(0, half)), Math.max(...rss.slice(half))];
        ctx.log(`${fed.sent} sent, ${stored} stored, ${pauses} pauses, peak buffer ${peakPending}`);
        return [
          figure({
            benchmark: 'backpressure',
            metric: 'events committed of events sent, database slower than the feed',
            value: stored,
            unit: 'events',
            baseline: { label: 'events the fake Asterisk sent', value: fed.sent },
            targets: [{ of: 'ratio', op: '==', value: 1 }],
            notes: [
              `the engine paused the socket ${pauses} times; the sender stood blocked ${(fed.blockedMs / 1000).toFixed(1)} s of ${(fed.elapsedMs / 1000).toFixed(1)} s (longest ${Math.round(fed.longestStallMs)} ms)`,
              `peak of events waiting ${peakPending} (the socket is paused at ${MAX_BUFFERED_EVENTS}; the batch being written is held besides); peak RSS above the start ${mb(firstHalfPeak)} MB in the first half of the run, ${mb(secondHalfPeak)} MB in the second, for ${Math.round(fed.bytes / 2 ** 20)} MB of events sent`,
              `database throttled to ${THROTTLED_PER_SEC} events/s; sending took ${(fed.elapsedMs / 1000).toFixed(1)} s, committing everything ${((performance.now() - streamStarted) / 1000).toFixed(1)} s`,
            ],
          }),
        ];
      } finally {
        clearInterval(sampler);
        await harness.stop();
      }
    } finally {
      await feed.close();
      await close();
    }
  },
};
