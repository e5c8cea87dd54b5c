import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { assumedFull, effectiveCapacity, type RateLimit, type RateLimiter } from './rate-limiter.ts';

// The same token bucket as rate-limiter.ts, kept in Redis so every engine instance draws from one
// bucket per target, and a restarted instance finds the level its predecessor left. Each step is one Lua
// script (atomic), on Redis's own clock so instances with skewed clocks still agree. A key Redis does not
// have (first use, or a Redis that lost its data) starts with the target's bucket assumed full, as the
// memory limiter does; keys are kept a day, so an idle target does not pay that again.

const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'paused')
local tokens = tonumber(b[1]) or tonumber(ARGV[3])
local ts = tonumber(b[2]) or now
local paused = tonumber(b[3]) or 0
tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
`;

const EPILOGUE = `
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now, 'paused', paused)
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / rate) + math.max(0, paused - now) + 86400000)
`;

/** ARGV: ratePerMs, capacity, tokens of a new bucket. Returns the wait in ms. */
const RESERVE = `${PRELUDE}
tokens = tokens - 1
local wait = 0
if tokens < 0 then wait = math.ceil(-tokens / rate) end
if paused - now > wait then wait = paused - now end
${EPILOGUE}
return wait`;

/** ARGV: ratePerMs, capacity, tokens of a new bucket, pauseMs. */
const PAUSE = `${PRELUDE}
local pauseMs = tonumber(ARGV[4])
tokens = math.min(tokens, 0) - pauseMs * rate
paused = math.max(paused, now + pauseMs)
${EPILOGUE}
return 0`;

/** ARGV: none. Returns how long the target stays paused. */
const PAUSED_FOR = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused')) or 0
return math.max(0, paused - now)`;

export interface RedisRateLimiterOptions {
  /** Keys are `<prefix>rate:<target>`; tests use a unique prefix. */
  keyPrefix?: string;
}

export function createRedisRateLimiter(redis: Redis, options: RedisRateLimiterOptions = {}): RateLimiter {
  const prefix = options.keyPrefix ?? 'callflow:';
  const key = (target: string) => `${prefix}rate:${target}`;
  const args = (limit: RateLimit) => [String(limit.perSecond / 1000), String(effectiveCapacity(limit)), String(assumedFull(limit, 0).tokens)];
  return {
    async acquire(target, limit, signal) {
      const waitMs = Number(await redis.eval(RESERVE, 1, key(target), ...args(limit)));
      if (waitMs > 0) await sleep(waitMs, undefined, { signal });
      for (;;) {
        const pausedMs = Number(await redis.eval(PAUSED_FOR, 1, key(target)));
        if (pausedMs <= 0) return;
        await sleep(pausedMs, undefined, { signal });
      }
    },
    async pause(target, limit, pauseMs) {
      await redis.eval(PAUSE, 1, key(target), ...args(limit), String(Math.max(0, Math.round(pauseMs))));
    },
    async close() {
      // The client belongs to the caller.
    },
  };
}
