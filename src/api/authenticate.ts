import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES } from '../errors.ts';
import type { ApiKeys } from './auth.ts';
import { hashToken } from '../tenants/tokens.ts';
import type { ApiKeyInfo, SessionInfo, Tenant, User } from '../tenants/model.ts';
import type { Principal } from '../tenants/principal.ts';

// Who a request is, from what it presents: a session cookie (the dashboard), a tenant API key (`cfk_...`)
// or one of the configured platform keys (x-api-key or Authorization: Bearer). Lookups in the database are
// cached for `cacheMs`, so a busy client costs one query per key per interval; a revocation, a suspension or a
// logout made through this engine drops its entry at once.
//
// The API is open (anyone acts as the operator) only while no platform key is configured, the listening
// address allows that (config: loopback, or insecureNoAuth) and no user account exists: creating the first
// user closes it, so a single-company install works with no setup and locks itself once people log in.

export const SESSION_COOKIE = 'cf_session';
export const TENANT_HEADER = 'x-tenant-id';
export const CSRF_HEADER = 'x-csrf-token';
export const API_KEY_PREFIX = 'cfk_';

/** What the door needs from the tenants' repository. */
export interface AccessLookups {
  findApiKey(keyHash: string): Promise<ApiKeyInfo | null>;
  getSession(tokenHash: string, now: Date): Promise<{ session: SessionInfo; user: User } | null>;
  getTenant(id: string): Promise<Tenant | null>;
  countUsers(): Promise<number>;
  touchApiKeys(lastUsed: ReadonlyMap<string, string>): Promise<unknown>;
}

/** No accounts at all: only platform keys (or nothing, while open). */
export const NO_ACCOUNTS: AccessLookups = {
  findApiKey: async () => null,
  getSession: async () => null,
  getTenant: async (id) => (id === 'default' ? { id, name: 'Default', slug: 'default', timezone: 'UTC', status: 'active', settings: {}, createdAt: '', updatedAt: '' } : null),
  countUsers: async () => 0,
  touchApiKeys: async () => 0,
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Who requests are (set by buildServer): for routes that log people in and out, or change keys. */
    readonly door: Authenticator;
  }
}

export interface AuthenticatorOptions {
  platformKeys: ApiKeys;
  lookups: AccessLookups;
  /** The configuration lets the API be open when no keys and no users exist (loopback, or insecureNoAuth). */
  openAllowed: boolean;
  cacheMs?: number;
  now?: () => number;
}

/** A credential was presented and is not valid (wrong, revoked, expired): 401, counted as a failure. */
export const INVALID = Symbol('invalid credential');
export type Identified = Principal | null | typeof INVALID;

interface Cached<T> {
  value: T;
  untilMs: number;
}

const MAX_CACHED = 10_000;

export class Authenticator {
  private readonly keys = new Map<string, Cached<ApiKeyInfo | null>>();
  private readonly sessions = new Map<string, Cached<{ session: SessionInfo; user: User } | null>>();
  private readonly tenants = new Map<string, Cached<Tenant | null>>();
  private usersExist: Cached<boolean> | null = null;
  private readonly keysUsed = new Map<string, string>();
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.cacheMs = options.cacheMs ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  /** The API answers anyone as the operator (no keys, no users, and the configuration allows it). */
  async isOpen(): Promise<boolean> {
    if (!this.options.openAllowed || this.options.platformKeys.required) return false;
    const nowMs = this.now();
    if (this.usersExist === null || this.usersExist.untilMs <= nowMs) {
      this.usersExist = { value: (await this.options.lookups.countUsers()) > 0, untilMs: nowMs + this.cacheMs };
    }
    return !this.usersExist.value;
  }

  /** Who the request is; null when it presents nothing, INVALID when what it presents is not valid. */
  async identify(request: FastifyRequest): Promise<Identified> {
    const open = await this.isOpen();
    const principal = await this.fromCredentials(request);
    // While open, a credential that is not valid is passed over, as keys were before users existed.
    if (principal === INVALID || principal === null) return open ? this.openPrincipal(request) : principal;
    return principal;
  }

  private async openPrincipal(request: FastifyRequest): Promise<Principal> {
    return { kind: 'platform', role: 'operator', tenantId: await this.actingTenant(request, null), keyIndex: null, name: 'open access' };
  }

  private async fromCredentials(request: FastifyRequest): Promise<Identified> {
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (typeof cookie === 'string' && cookie !== '') return this.fromSession(request, cookie);
    const key = presented(request);
    if (key === null) return null;
    if (key.startsWith(API_KEY_PREFIX)) return this.fromTenantKey(key);
    const index = this.options.platformKeys.indexOf(key);
    if (index < 0) return INVALID;
    return { kind: 'platform', role: 'operator', tenantId: await this.actingTenant(request, null), keyIndex: index, name: `API_KEYS[${index}]` };
  }

  private async fromSession(request: FastifyRequest, token: string): Promise<Identified> {
    const hash = hashToken(token);
    const found = await this.cached(this.sessions, hash, () => this.options.lookups.getSession(hash, new Date(this.now())));
    if (found === null || Date.parse(found.session.expiresAt) <= this.now() || found.user.status !== 'active') return INVALID;
    const { user, session } = found;
    const tenantId = user.role === 'operator' ? await this.actingTenant(request, session.tenantId) : user.tenantId;
    return {
      kind: 'user',
      role: user.role,
      tenantId,
      userId: user.id,
      name: user.name,
      email: user.email,
      extensions: user.extensions,
      sessionHash: hash,
      csrfToken: session.csrfToken,
    };
  }

  private async fromTenantKey(key: string): Promise<Identified> {
    const hash = hashToken(key);
    const info = await this.cached(this.keys, hash, () => this.options.lookups.findApiKey(hash));
    if (info === null || info.revokedAt !== null) return INVALID;
    this.keysUsed.set(info.id, new Date(this.now()).toISOString());
    return { kind: 'api-key', role: info.role, tenantId: info.tenantId, keyId: info.id, name: info.name };
  }

  /** An operator acts in the tenant its request names (x-tenant-id), else in its session's, else in all. */
  private async actingTenant(request: FastifyRequest, sessionTenant: string | null): Promise<string | null> {
    const header = request.headers[TENANT_HEADER];
    if (typeof header !== 'string' || header === '') return sessionTenant;
    if (header.length > 64 || (await this.tenant(header)) === null) {
      throw new AppError(ERROR_CODES.NOT_FOUND, `no tenant "${header.slice(0, 64)}" (${TENANT_HEADER})`);
    }
    return header;
  }

  /** Refuses a tenant's principal while its tenant is suspended (operators still reach it to manage it). */
  async checkTenant(principal: Principal): Promise<void> {
    if (principal.role === 'operator' || principal.tenantId === null) return;
    const tenant = await this.tenant(principal.tenantId);
    if (tenant === null || tenant.status !== 'active') {
      throw new AppError(ERROR_CODES.TENANT_SUSPENDED, 'this tenant is suspended: its users and keys are refused until an operator reactivates it');
    }
  }

  tenant(id: string): Promise<Tenant | null> {
    return this.cached(this.tenants, id, () => this.options.lookups.getTenant(id));
  }

  /** The CSRF check of a session's request that changes something. */
  checkCsrf(request: FastifyRequest, principal: Principal): void {
    if (principal.kind !== 'user' || SAFE_METHODS.has(request.method)) return;
    const sent = request.headers[CSRF_HEADER];
    const expected = Buffer.from(principal.csrfToken);
    const given = Buffer.from(typeof sent === 'string' ? sent : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError(ERROR_CODES.FORBIDDEN, `a request that changes something must carry the session's CSRF token in ${CSRF_HEADER}`);
    }
  }

  /** Forget cached answers after a change made here: a revoked key or ended session stops working at once. */
  forgetKey(keyHash: string): void {
    this.keys.delete(keyHash);
  }
  forgetAllKeys(): void {
    this.keys.clear();
  }
  forgetSession(tokenHash: string): void {
    this.sessions.delete(tokenHash);
  }
  forgetAllSessions(): void {
    this.sessions.clear();
  }
  forgetTenant(id: string): void {
    this.tenants.delete(id);
  }
  usersChanged(): void {
    this.usersExist = null;
    this.sessions.clear();
  }

  /** Writes the keys' last-used times gathered since the last call (called on a timer and at stop). */
  async flushKeyUse(): Promise<void> {
    if (this.keysUsed.size === 0) return;
    const used = new Map(this.keysUsed);
    this.keysUsed.clear();
    await this.options.lookups.touchApiKeys(used);
  }

  private async cached<T>(map: Map<string, Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const nowMs = this.now();
    const hit = map.get(key);
    if (hit !== undefined && hit.untilMs > nowMs) return hit.value;
    const value = await load();
    if (map.size >= MAX_CACHED) map.delete(map.keys().next().value!);
    map.set(key, { value, untilMs: nowMs + this.cacheMs });
    return value;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The API key a request presents in its headers, if any. */
export function presented(request: FastifyRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^bearer /i.test(auth)) {
    const token = auth.slice(7).trim();
    return token === '' ? null : token;
  }
  return null;
}
