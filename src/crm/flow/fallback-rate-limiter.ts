import type { Logger } from '../../app/logger.ts';
import type { RateLimit, RateLimiter } from './rate-limiter.ts';

// The shared (Redis) limiter, with this instance's own bucket behind it: when Redis cannot be reached a
// request waits on the local bucket instead of failing, so deliveries go on at the target's rate (counted per
// instance) rather than stopping until Redis is back. The local bucket starts as assumed full, like any new
// bucket, so switching over never bursts into the target.

const WARN_EVERY_MS = 60_000;

export function withLocalFallback(shared: RateLimiter, local: RateLimiter, logger: Logger): RateLimiter {
  let lastWarningMs = Number.NEGATIVE_INFINITY;
  const fellBack = (error: unknown): void => {
    const now = performance.now();
    if (now - lastWarningMs < WARN_EVERY_MS) return;
    lastWarningMs = now;
    logger.warn({ err: (error as Error).message }, 'Redis unreachable: CRM rate limits are kept per instance until it is back');
  };
  return {
    async acquire(target: string, limit: RateLimit, signal?: AbortSignal): Promise<void> {
      try {
        await shared.acquire(target, limit, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        fellBack(error);
        await local.acquire(target, limit, signal);
      }
    },
    async pause(target: string, limit: RateLimit, pauseMs: number): Promise<void> {
      // Both: whichever one the next request draws from must hold it back.
      await local.pause(target, limit, pauseMs);
      await shared.pause(target, limit, pauseMs).catch(fellBack);
    },
    async close(): Promise<void> {
      await Promise.all([shared.close(), local.close()]);
    },
  };
}
