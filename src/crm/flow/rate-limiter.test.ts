import { describe, expect, it } from 'vitest';
import { applyPause, assumedFull, reserve, type BucketState } from './rate-limiter.ts';
import { retryDelayMs } from '../backoff.ts';

const limit = { perSecond: 2, burst: 50 };

/** Send times the bucket grants for n requests all asked for at t=0. */
function schedule(n: number, state?: BucketState): number[] {
  const times: number[] = [];
  let s = state;
  for (let i = 0; i < n; i++) {
    const r = reserve(s, limit, 0);
    s = r.state;
    times.push(r.waitMs);
  }
  return times;
}

describe('token bucket', () => {
  it('lets a burst go at once (one token kept spare) and then spaces requests at the sustained rate', () => {
    const times = schedule(60);
    expect(times.filter((t) => t === 0)).toHaveLength(49);
    expect(times.slice(49, 52)).toEqual([500, 1000, 1500]);
  });

  it('never grants more than burst + rate × window in any window', () => {
    const times = schedule(200);
    for (const start of times) {
      const inWindow = times.filter((t) => t >= start && t < start + 10_000).length;
      expect(inWindow).toBeLessThanOrEqual(limit.burst + limit.perSecond * 10);
    }
  });

  it('a fresh bucket assumes the target full: no burst, the sustained rate from the start, the burst earned back over time', () => {
    const times = schedule(60, assumedFull(limit, 0));
    // The spare and one token drain first, then one request per 1/rate.
    expect(times.slice(0, 3)).toEqual([1000, 1500, 2000]);
    // With the target's bucket full (burst requests) when we start, it never goes above burst less the spare.
    for (const t of times) {
      const sentBy = times.filter((x) => x <= t).length;
      expect(limit.burst + sentBy - (t / 1000) * limit.perSecond).toBeLessThanOrEqual(limit.burst - 1);
    }
    // After burst / rate seconds of quiet the full burst (less the spare) is there again.
    const later = schedule(60, assumedFull(limit, -25_500));
    expect(later.filter((t) => t === 0)).toHaveLength(49);
  });

  it('a pause holds every later request back and starts them again without a burst', () => {
    const paused = applyPause(undefined, limit, 0, 3000);
    const times = schedule(3, paused);
    expect(times[0]).toBeGreaterThanOrEqual(3000);
    expect(times[1]! - times[0]!).toBe(500);
  });
});

describe('retry backoff', () => {
  it('grows exponentially up to the cap with jitter in the upper half', () => {
    const opts = { baseDelayMs: 1000, maxDelayMs: 60_000 };
    expect(retryDelayMs(1, opts, () => 0)).toBe(500);
    expect(retryDelayMs(1, opts, () => 1)).toBe(1000);
    expect(retryDelayMs(4, opts, () => 1)).toBe(8000);
    expect(retryDelayMs(30, opts, () => 0.5)).toBe(45_000);
  });
});
