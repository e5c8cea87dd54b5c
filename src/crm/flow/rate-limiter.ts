import { setTimeout as sleep } from 'node:timers/promises';

// A token bucket per target. Callers reserve a token even when none is left (the balance goes
// negative) and sleep until their turn: waiters are served in arrival order and the target never
// sees more than `burst` requests at once or more than `perSecond` sustained.

export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface RateLimiter {
  /** Resolves when one more request may go to the target. */
  acquire(target: string, limit: RateLimit, signal?: AbortSignal): Promise<void>;
  /** The target answered "too many": send it nothing for pauseMs, then restart without a burst. */
  pause(target: string, limit: RateLimit, pauseMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The bucket we keep is a little smaller than the target's: requests cross the network (and our own
 * event loop) with varying delays, so the target's bucket can see two of ours closer together than we
 * sent them. The spare part absorbs a quarter second of such bunching (one token at 2/s).
 */
export function effectiveCapacity(limit: RateLimit): number {
  if (limit.burst <= 2) return limit.burst;
  const spare = Math.min(Math.floor(limit.burst / 2), Math.max(1, Math.ceil(limit.perSecond * 0.25)));
  return limit.burst - spare;
}

export interface BucketState {
  tokens: number;
  updatedAtMs: number;
  pausedUntilMs: number;
}

/**
 * A bucket as a process first sees it: the target's own bucket assumed full. A process that starts cannot
 * know what was sent just before (a killed instance leaves no trace, another client may share the
 * portal), and bursting into a portal bucket that is still full gets 503s. So nothing goes until the
 * spare part has drained, and the burst is earned back at the sustained rate: burst / perSecond after a
 * start (25 s for Bitrix24's 2/s, burst 50) requests go no faster than the sustained rate.
 */
export function assumedFull(limit: RateLimit, nowMs: number): BucketState {
  return { tokens: effectiveCapacity(limit) - limit.burst, updatedAtMs: nowMs, pausedUntilMs: 0 };
}

/** Takes one token at nowMs; returns the new state and how long the caller must wait. */
export function reserve(state: BucketState | undefined, limit: RateLimit, nowMs: number): { state: BucketState; waitMs: number } {
  const capacity = effectiveCapacity(limit);
  const ratePerMs = limit.perSecond / 1000;
  const prev = state ?? { tokens: capacity, updatedAtMs: nowMs, pausedUntilMs: 0 };
  const refilled = Math.min(capacity, prev.tokens + Math.max(0, nowMs - prev.updatedAtMs) * ratePerMs);
  const tokens = refilled - 1;
  const waitMs = Math.max(tokens < 0 ? Math.ceil(-tokens / ratePerMs) : 0, prev.pausedUntilMs - nowMs, 0);
  return { state: { tokens, updatedAtMs: nowMs, pausedUntilMs: prev.pausedUntilMs }, waitMs };
}

/** A pause becomes a debt: nothing goes until it is repaid, and the burst refills only afterwards. */
export function applyPause(state: BucketState | undefined, limit: RateLimit, nowMs: number, pauseMs: number): BucketState {
  const capacity = effectiveCapacity(limit);
  const ratePerMs = limit.perSecond / 1000;
  const prev = state ?? { tokens: capacity, updatedAtMs: nowMs, pausedUntilMs: 0 };
  const refilled = Math.min(capacity, prev.tokens + Math.max(0, nowMs - prev.updatedAtMs) * ratePerMs);
  return {
    tokens: Math.min(refilled, 0) - pauseMs * ratePerMs,
    updatedAtMs: nowMs,
    pausedUntilMs: Math.max(prev.pausedUntilMs, nowMs + pauseMs),
  };
}

/**
 * One process's buckets. Right for a single instance; several instances share Redis instead. Each bucket
 * starts, at the limiter's creation, with the target's bucket assumed full (see assumedFull).
 */
export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, BucketState>();
  const startedAtMs = now();
  return {
    async acquire(target, limit, signal) {
      const r = reserve(buckets.get(target) ?? assumedFull(limit, startedAtMs), limit, now());
      buckets.set(target, r.state);
      if (r.waitMs > 0) await sleep(r.waitMs, undefined, { signal });
      // A pause that began while this caller slept still applies to it.
      for (;;) {
        const pausedMs = (buckets.get(target)?.pausedUntilMs ?? 0) - now();
        if (pausedMs <= 0) return;
        await sleep(pausedMs, undefined, { signal });
      }
    },
    async pause(target, limit, pauseMs) {
      buckets.set(target, applyPause(buckets.get(target) ?? assumedFull(limit, startedAtMs), limit, now(), pauseMs));
    },
    async close() {
      buckets.clear();
    },
  };
}
