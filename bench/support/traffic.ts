import { generateTraffic, type TrafficOptions } from '../../src/sim/traffic.ts';

// The benchmarks' traffic: the simulator's seeded generator of realistic ARI events (recorded call
// scenarios, about 30 events per simple call and 95 per Dial() call, many calls interleaved). Channels
// carry CHANNEL(linkedid), as with the recommended ari.conf.

export const BENCH_SEED = 20_260_101;

export function benchTraffic(overrides: Partial<TrafficOptions> = {}): TrafficOptions {
  return { seed: BENCH_SEED, calls: 10_000_000, concurrency: 2_000, withChannelvars: true, ...overrides };
}

/** The first `count` event texts of the traffic. */
export function eventTexts(count: number, overrides: Partial<TrafficOptions> = {}): string[] {
  const texts: string[] = [];
  if (count <= 0) return texts;
  for (const e of generateTraffic(benchTraffic(overrides))) {
    texts.push(e.text);
    if (texts.length >= count) break;
  }
  return texts;
}

/** Event texts as a lazy stream, stopping after `limit` events. */
export function* eventTextStream(limit: number, overrides: Partial<TrafficOptions> = {}): Generator<string, void, undefined> {
  let n = 0;
  if (limit <= 0) return;
  for (const e of generateTraffic(benchTraffic(overrides))) {
    yield e.text;
    if (++n >= limit) return;
  }
}
