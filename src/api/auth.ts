import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES, type ErrorCode } from '../errors.ts';
import { allows, type Permission } from '../tenants/permissions.ts';
import { requesterKey, type Principal } from '../tenants/principal.ts';
import { rateLimited, type AuthThrottle } from './auth-throttle.ts';
import { INVALID, presented, type Authenticator } from './authenticate.ts';

// Who may call a route is decided on the route Fastify matched, never on the URL text: a path spelled
// another way (percent-encoded, doubled slashes, dot segments) either matches the same route, and then
// gets the same check, or matches nothing. Every route declares its access in its config:
//   'public' — anyone (the dashboard's files, /health's summary, Bitrix24's event handler, login);
//   'key'    — the default: a principal (session, tenant key, platform key; authenticate.ts) holding the
//              route's `permission` (src/tenants/permissions.ts). A route that names no permission is the
//              operator's alone, so a route added later is closed until someone decides who may call it;
//   'self'   — the route authenticates its callers itself (the live WebSocket's short-lived tickets).
// A request that matched no route (404, 405) needs a principal, any: nothing answers a stranger for free.
// Keys are never read from the URL: URLs end up in logs, histories and Referer headers.

export type RouteAccess = 'public' | 'key' | 'self';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (src/api/auth.ts); absent means 'key'. */
    access?: RouteAccess;
    /** What a principal must hold to call a 'key' route; absent: operators only. */
    permission?: Permission;
    /** The code (and so the status) of an answer to a request that fails the route's schema; absent: CF_REQUEST_INVALID (400). */
    validationCode?: ErrorCode;
  }
  interface FastifyRequest {
    /** Who the request acts as, set at the door for 'key' routes (and by 'self' routes that accept one). */
    principal: Principal | null;
  }
}

/** The request's principal; only for routes behind the door ('key'), where it is always set. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === null) throw new AppError(ERROR_CODES.INTERNAL, 'no principal on a route behind the access check');
  return principal;
}

export function accessOf(request: FastifyRequest): RouteAccess {
  return request.routeOptions.config?.access ?? 'key';
}

export { presented as presentedKey };

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
    const key = presented(request);
    return key !== null && this.matches(key);
  }
}

export function unauthorized(): AppError {
  return new AppError(ERROR_CODES.UNAUTHORIZED, 'authentication is required: an API key (x-api-key header or Authorization: Bearer) or a session (POST /api/session)');
}

/**
 * The onRequest check of every route that is not 'public'. An address that failed too often gets 429 before
 * its credential is even looked at, a wrong one counts as a failure, each key's and user's
 * requests are counted, a suspended tenant's principals are refused, and a session's changes need its CSRF
 * token. 'self' routes only get the address check here.
 */
export function accessHook(door: Authenticator, throttle: AuthThrottle) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const access = accessOf(request);
    if (access === 'public') return;
    const wait = throttle.blocked(request);
    if (wait !== null) throw tooMany(reply, wait, FAILED_TOO_OFTEN);
    // A route that checks credentials itself counts its refusals with refusedBySelf().
    if (access === 'self') return;
    const found = await door.identify(request);
    // Only a credential that is wrong counts as a failure: asking with none (a login page loading, a
    // browser probing for its session) guesses nothing.
    if (found === null) throw unauthorized();
    if (found === INVALID) {
      const blockedFor = await throttle.failed(request);
      throw blockedFor === null ? unauthorized() : tooMany(reply, blockedFor, FAILED_TOO_OFTEN);
    }
    request.principal = found;
    await door.checkTenant(found);
    const who = requesterKey(found);
    if (who !== null) {
      const keyWait = await throttle.used(request, who);
      if (keyWait !== null) throw tooMany(reply, keyWait, 'this API key made too many requests');
    }
    // An unmatched path (404, 405) needs a principal, any: its answer names no data.
    if (!request.is404) {
      const permission = request.routeOptions.config?.permission;
      const allowed = permission === undefined ? found.role === 'operator' : allows(found.role, permission);
      if (!allowed) throw forbidden(permission);
    }
    door.checkCsrf(request, found);
  };
}

export function forbidden(permission: Permission | undefined): AppError {
  return new AppError(ERROR_CODES.FORBIDDEN, permission === undefined ? 'only a platform operator may do this' : `your role does not allow this (${permission})`);
}

export const FAILED_TOO_OFTEN = 'too many failed authentications from this address';

/**
 * For 'self' routes: a refusal of their own credential counts as a failed authentication, like a wrong key,
 * so guessing tickets is throttled too. Gives the error to answer with (the same 401, or 429 once too many).
 */
export async function refusedBySelf(throttle: AuthThrottle, request: FastifyRequest, reply: FastifyReply, refusal: AppError): Promise<AppError> {
  const blockedFor = await throttle.failed(request);
  return blockedFor === null ? refusal : tooMany(reply, blockedFor, FAILED_TOO_OFTEN);
}

/** 429 with Retry-After: for the door, and for routes that count failures themselves (the login). */
export function tooMany(reply: FastifyReply, retryAfterSec: number, why: string): AppError {
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
