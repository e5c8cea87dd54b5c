import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark } from './support/benchmark.ts';
import { openBenchStore, queryOnce } from './support/database.ts';
import { startEngine } from './support/engine-harness.ts';
import { FakeFeed } from './support/fake-feed.ts';
import { figure } from './support/figures.ts';
import { sleep } from './support/stats.ts';
import { gatedStore } from '../test/support/gated-store.ts';

// The spill path: the fake Asterisk sends RATE events/s steadily; after a warm-up the database stops taking
// anything (every write waits) for OUTAGE seconds, then comes back. The engine keeps reading, spills what its
// buffer cannot hold to disk and takes it back in. Figures: events stored of events sent (nothing lost), the
// time from the database's return until the engine has caught up (spill read empty, everything committed),
// and memory while it spilled (bounded by the buffer, not by the outage).

const RATE = 2_000;
const QUICK_BUFFER = 10_000;

export const spillBenchmark: Benchmark = {
  name: 'spill',
  title: `Spill: database stopped for a minute while Asterisk sends ${RATE} events/s`,
  needsPostgres: true,
  timeoutMs: (quick) => (quick ? 120_000 : 300_000),
  async run(ctx) {
    const warmupMs = 5_000;
    const outageMs = ctx.options.quick ? 15_000 : 60_000;
    const afterMs = ctx.options.quick ? 10_000 : 30_000;
    const { store, db, close } = await openBenchStore(ctx.options.postgresUrl);
    const feed = await FakeFeed.start();
    const spillDir = mkdtempSync(join(tmpdir(), 'callflow-bench-spill-'));
    const outage = gatedStore(store);
    try {
      // The quick run's outage is shorter than the default buffer holds (50,000 events): a smaller buffer
      // makes it spill all the same.
      const ingest = ctx.options.quick ? { maxBufferedEvents: QUICK_BUFFER } : {};
      const harness = await startEngine({ store: outage.store, ariUrl: feed.url, spillDir, ingest });
      const { engine } = harness;
      const spill = engine.spill!;
      const rss: number[] = [];
      let peakSpillBytes = 0;
      const startRss = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        rss.push(process.memoryUsage().rss);
        peakSpillBytes = Math.max(peakSpillBytes, spill.bytes);
      }, 50);
      try {
        await harness.synced;
        const durationMs = warmupMs + outageMs + afterMs;
        const streaming = feed.stream({ traffic: {}, maxEvents: Number.MAX_SAFE_INTEGER, ratePerSec: RATE, durationMs }, durationMs + 60_000);
        await sleep(warmupMs);
        outage.shut();
        const downAt = performance.now();
        await sleep(outageMs);
        const rssDuringOutage = Math.max(...rss);
        outage.open();
        const upAt = performance.now();
        let caughtUpMs: number | null = null;
        while (performance.now() - upAt < 120_000) {
          if (!spill.isActive && engine.ingestor.pendingCount === 0) {
            caughtUpMs = performance.now() - upAt;
            break;
          }
          await sleep(20);
        }
        const fed = await streaming;
        await engine.ingestor.flush();
        clearInterval(sampler);
        const [{ n: stored } = { n: 0 }] = await queryOnce<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM events WHERE server = 'pbx1' AND type NOT LIKE 'Callflow%'");
        const mb = (bytes: number): number => Math.round((bytes - startRss) / 2 ** 20);
        ctx.log(`${fed.sent} sent, ${stored} stored, ${spill.spilled} spilled, ${spill.lost} lost; caught up ${caughtUpMs === null ? 'never' : `${(caughtUpMs / 1000).toFixed(1)} s`} after the database came back`);
        const notes = [
          `database stopped ${((upAt - downAt) / 1000).toFixed(0)} s (ingest buffer: ${ctx.options.quick ? `${QUICK_BUFFER} events` : 'the default'}) while the fake Asterisk sent ${RATE} events/s; ${spill.spilled} events went to the spill log (peak ${Math.round(peakSpillBytes / 2 ** 20)} MB on disk), ${spill.lost} lost`,
          `peak RSS above the start ${mb(Math.max(...rss))} MB (${mb(rssDuringOutage)} MB by the end of the outage): the buffer bounds memory, the log holds the rest`,
          `the sender was never held back: it stood blocked ${(fed.blockedMs / 1000).toFixed(1)} s of ${(fed.elapsedMs / 1000).toFixed(1)} s`,
        ];
        return [
          figure({
            benchmark: 'spill',
            metric: 'events stored of events sent, across a database outage',
            value: stored,
            unit: 'events',
            baseline: { label: 'events the fake Asterisk sent', value: fed.sent },
            targets: [{ of: 'ratio', op: '==', value: 1 }],
            notes,
          }),
          figure({
            benchmark: 'spill',
            metric: 'catch-up after the database came back (spill read empty, all committed)',
            value: caughtUpMs === null ? Number.NaN : Math.round(caughtUpMs),
            unit: 'ms',
            notes: [`${spill.spilled} events had been spilled; the feed kept sending ${RATE} events/s meanwhile`],
          }),
        ];
      } finally {
        clearInterval(sampler);
        outage.open();
        await harness.stop();
      }
    } finally {
      rmSync(spillDir, { recursive: true, force: true });
      await feed.close();
      await close();
    }
  },
};
