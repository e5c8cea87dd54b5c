import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES } from '../errors.ts';
import { rateLimited, type AuthThrottle } from './auth-throttle.ts';

// Who may call a route is decided on the route Fastify matched, never on the URL text: a path spelled
// another way (percent-encoded, doubled slashes, dot segments) either matches the same route, and then
// gets the same check, or matches nothing. Every route declares its access in its config:
//   'public' — anyone (the dashboard's files, /health's summary, Bitrix24's event handler);
//   'key'    — the default: a valid API key in `x-api-key` or `Authorization: Bearer`, when keys are set;
//   'self'   — the route authenticates its callers itself (the live WebSocket's short-lived tickets).
// A request that matched no route (404, 405) is treated as 'key': nothing answers a stranger for free.
// Keys are never read from the URL: URLs end up in logs, histories and Referer headers.

export type RouteAccess = 'public' | 'key' | 'self';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (src/api/auth.ts); absent means 'key'. */
    access?: RouteAccess;
  }
}

export function accessOf(request: FastifyRequest): RouteAccess {
  return request.routeOptions.config?.access ?? 'key';
}

/** The API key a request presents in its headers, if any. */
export function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^bearer /i.test(auth)) {
    const token = auth.slice(7).trim();
    return token === '' ? null : token;
  }
  return null;
}

export class ApiKeys {
  private readonly keys: readonly Buffer[];

  constructor(keys: readonly string[]) {
    this.keys = keys.map((k) => Buffer.from(k));
  }

  /** No keys configured: the API is open (the server then listens on loopback only unless told otherwise). */
  get required(): boolean {
    return this.keys.length > 0;
  }

  /** Compares against every key in constant time per key, so timing tells nothing about which one is near. */
  matches(candidate: string): boolean {
    return this.indexOf(candidate) >= 0;
  }

  /** Position of the matching key in the configured list, -1 when none matches. */
  indexOf(candidate: string): number {
    const c = Buffer.from(candidate);
    let found = -1;
    this.keys.forEach((k, i) => {
      if (k.length === c.length && timingSafeEqual(k, c)) found = i;
    });
    return found;
  }

  /** True when the request carries a valid key, or when no keys are configured. */
  authenticated(request: FastifyRequest): boolean {
    if (!this.required) return true;
    const key = presentedKey(request);
    return key !== null && this.matches(key);
  }
}

export function unauthorized(): AppError {
  return new AppError(ERROR_CODES.UNAUTHORIZED, 'a valid API key is required (x-api-key header or Authorization: Bearer)');
}

/**
 * The onRequest check of every route that is neither 'public' nor 'self'. An address that failed too often
 * gets 429 before its key is even looked at, a wrong or missing key counts as a failure, and each key's
 * requests are counted. Written with `done` rather than async: most requests need no promise here.
 */
export function apiKeyHook(keys: ApiKeys, throttle: AuthThrottle) {
  return (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
    const access = accessOf(request);
    if (access === 'public' || !keys.required) return done();
    const wait = throttle.blocked(request);
    if (wait !== null) return done(tooMany(reply, wait, FAILED_TOO_OFTEN));
    // A route that checks credentials itself counts its refusals with refusedBySelf().
    if (access === 'self') return done();
    const key = presentedKey(request);
    const index = key === null ? -1 : keys.indexOf(key);
    if (index < 0) {
      throttle.failed(request).then((blockedFor) => done(blockedFor === null ? unauthorized() : tooMany(reply, blockedFor, FAILED_TOO_OFTEN)), done);
      return;
    }
    const counted = throttle.used(request, index);
    if (counted === null) return done();
    counted.then((keyWait) => done(keyWait === null ? undefined : tooMany(reply, keyWait, 'this API key made too many requests')), done);
  };
}

const FAILED_TOO_OFTEN = 'too many failed authentications from this address';

/**
 * For 'self' routes: a refusal of their own credential counts as a failed authentication, like a wrong key,
 * so guessing tickets is throttled too. Gives the error to answer with (the same 401, or 429 once too many).
 */
export async function refusedBySelf(throttle: AuthThrottle, request: FastifyRequest, reply: FastifyReply, refusal: AppError): Promise<AppError> {
  const blockedFor = await throttle.failed(request);
  return blockedFor === null ? refusal : tooMany(reply, blockedFor, FAILED_TOO_OFTEN);
}

function tooMany(reply: FastifyReply, retryAfterSec: number, why: string): AppError {
  void reply.header('retry-after', String(retryAfterSec));
  return rateLimited(retryAfterSec, why);
}

/**
 * Marks every route registered inside `app` (an encapsulated plugin context) with `access`, unless the
 * route declared its own: for plugins whose routes we do not write (static files, the docs UI).
 */
export function defaultAccess(app: FastifyInstance, access: (url: string) => RouteAccess): void {
  app.addHook('onRoute', (route) => {
    if (route.config?.access !== undefined) return;
    route.config = { ...(route.config ?? {}), access: access(route.url ?? route.path) };
  });
}
