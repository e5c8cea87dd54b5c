import { normalizeIP } from '@fastify/rate-limit';
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
  blocked(request: FastifyRequest): number | null;
  /** Counts a failed authentication; the seconds to wait when that was one too many, else null. */
  failed(request: FastifyRequest): Promise<number | null>;
  /**
   * Counts a request made by `who` (a key or user, named by its position or id, never the key itself); the
   * seconds to wait when over its limit, else null. Null at once (no promise) when keys are not limited.
   */
  used(request: FastifyRequest, who: string): Promise<number | null> | null;
}

/** Addresses held out at once at most; past it the oldest is let go first (each took a window of failures). */
const MAX_BLOCKED = 10_000;

/** Needs @fastify/rate-limit registered on `app` (its `createRateLimit`). */
export function authThrottle(app: FastifyInstance, limits: ThrottleLimits): AuthThrottle {
  const failures: Limiter | null =
    limits.authFailureLimit > 0 ? app.createRateLimit({ max: limits.authFailureLimit, timeWindow: limits.authFailureWindowMs }) : null;
  const perKey: Limiter | null =
    limits.keyRateLimit > 0
      ? app.createRateLimit({
          max: limits.keyRateLimit,
          timeWindow: limits.keyRateWindowMs,
          keyGenerator: (request) => `key#${whoOf(request)}`,
        })
      : null;
  // Addresses past their failures, by the store's own key for them, with when their window ends: looked up
  // on every keyed request without a trip through the store, which counts failures only.
  const blockedUntil = new Map<string, number>();
  return {
    blocked(request) {
      if (blockedUntil.size === 0) return null;
      const address = normalizeIP(request.ip);
      const until = blockedUntil.get(address);
      if (until === undefined) return null;
      const leftMs = until - Date.now();
      if (leftMs > 0) return Math.max(1, Math.ceil(leftMs / 1000));
      blockedUntil.delete(address);
      return null;
    },
    async failed(request) {
      if (failures === null) return null;
      const state = await failures(request);
      if (state.isAllowed) return null;
      // The last failure the window allows still gets its 401; from then on the address gets 429.
      if (state.remaining === 0) {
        if (!blockedUntil.has(state.key) && blockedUntil.size >= MAX_BLOCKED) blockedUntil.delete(blockedUntil.keys().next().value!);
        blockedUntil.set(state.key, Date.now() + state.ttl);
      }
      return state.isExceeded ? Math.max(1, state.ttlInSeconds) : null;
    },
    used(request, who) {
      if (perKey === null) return null;
      requesters.set(request, who);
      return perKey(request).then((state) => (!state.isAllowed && state.isExceeded ? Math.max(1, state.ttlInSeconds) : null));
    },
  };
}

const requesters = new WeakMap<FastifyRequest, string>();

function whoOf(request: FastifyRequest): string {
  return requesters.get(request) ?? '-';
}

export function rateLimited(retryAfterSec: number, why: string): AppError {
  return new AppError(ERROR_CODES.RATE_LIMITED, `${why}; retry in ${retryAfterSec} s`, {
    retryable: true,
    details: [{ retryAfterSec }],
  });
}
