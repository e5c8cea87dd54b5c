import type {} from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES } from '../errors.ts';

// Throttling at the door, counted with @fastify/rate-limit's stores (in memory, per instance; each store
// keeps at most 5,000 entries, least recently used first out):
//  - failed authentications per client address (IPv6 by its /64): after `authFailureLimit` failures in a
//    window, every request from that address that needs a key gets 429 until the window ends, whether or
//    not its key is right. Otherwise an address that guesses on would still learn the key the moment it
//    stopped getting 429s;
//  - requests per API key, so that one runaway client cannot take the whole engine.
// Counters are kept under the key's position in the configured list, never under the key itself.

export interface ThrottleLimits {
  authFailureLimit: number;
  authFailureWindowMs: number;
  keyRateLimit: number;
  keyRateWindowMs: number;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

export interface AuthThrottle {
  /** Seconds until the address may try again when it failed too often; null when it may go on. */
  blocked(request: FastifyRequest): Promise<number | null>;
  /** Counts a failed authentication; the seconds to wait when that was one too many, else null. */
  failed(request: FastifyRequest): Promise<number | null>;
  /** Counts a request made with the key at `keyIndex`; the seconds to wait when over its limit, else null. */
  used(request: FastifyRequest, keyIndex: number): Promise<number | null>;
}

/** Needs @fastify/rate-limit registered on `app` (its `createRateLimit`). */
export function authThrottle(app: FastifyInstance, limits: ThrottleLimits): AuthThrottle {
  const failures: Limiter | null =
    limits.authFailureLimit > 0 ? app.createRateLimit({ max: limits.authFailureLimit, timeWindow: limits.authFailureWindowMs }) : null;
  const perKey: Limiter | null =
    limits.keyRateLimit > 0
      ? app.createRateLimit({
          max: limits.keyRateLimit,
          timeWindow: limits.keyRateWindowMs,
          keyGenerator: (request) => `key#${keyIndexOf(request)}`,
        })
      : null;
  return {
    async blocked(request) {
      if (failures === null) return null;
      const state = await failures(request, { increment: false });
      // `read` reports the count so far: the address is out once it has used up its failures.
      return !state.isAllowed && state.remaining === 0 && state.ttl > 0 ? Math.max(1, state.ttlInSeconds) : null;
    },
    async failed(request) {
      if (failures === null) return null;
      const state = await failures(request);
      return !state.isAllowed && state.isExceeded ? Math.max(1, state.ttlInSeconds) : null;
    },
    async used(request, keyIndex) {
      if (perKey === null) return null;
      keyIndexes.set(request, keyIndex);
      const state = await perKey(request);
      return !state.isAllowed && state.isExceeded ? Math.max(1, state.ttlInSeconds) : null;
    },
  };
}

const keyIndexes = new WeakMap<FastifyRequest, number>();

function keyIndexOf(request: FastifyRequest): number {
  return keyIndexes.get(request) ?? -1;
}

export function rateLimited(retryAfterSec: number, why: string): AppError {
  return new AppError(ERROR_CODES.RATE_LIMITED, `${why}; retry in ${retryAfterSec} s`, {
    retryable: true,
    details: [{ retryAfterSec }],
  });
}
