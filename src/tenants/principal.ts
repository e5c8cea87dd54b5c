import type { Role, TenantRole } from './permissions.ts';

// Who a request acts as, decided once per request at the door (src/api/authenticate.ts) and read by every
// route that scopes what it reads or changes.

export type Principal =
  /** One of the configured API_KEYS, or anyone while the API is open (no keys, no users, loopback). */
  | { kind: 'platform'; role: 'operator'; tenantId: string | null; keyIndex: number | null; name: string }
  /** A tenant's API key. */
  | { kind: 'api-key'; role: TenantRole; tenantId: string; keyId: string; name: string }
  /** A logged-in user; an operator's `tenantId` is the tenant it switched to (null: all). */
  | { kind: 'user'; role: Role; tenantId: string | null; userId: string; name: string; email: string; extensions: readonly string[]; sessionHash: string; csrfToken: string };

/**
 * What a principal's reads are limited to: one tenant, or all of them (an operator acting in none), and for
 * an agent the calls of its own extensions.
 */
export interface Scope {
  tenantId: string | null;
  extensions: readonly string[] | null;
}

export function scopeOf(principal: Principal): Scope {
  const extensions = principal.kind === 'user' && principal.role === 'agent' ? principal.extensions : null;
  return { tenantId: principal.tenantId, extensions };
}

/** Who did something, as the audit log records it. */
export function actorOf(principal: Principal): { kind: 'user' | 'api-key' | 'platform-key' | 'system'; id: string | null; name: string } {
  switch (principal.kind) {
    case 'platform':
      return { kind: principal.keyIndex === null ? 'system' : 'platform-key', id: principal.keyIndex === null ? null : String(principal.keyIndex), name: principal.name };
    case 'api-key':
      return { kind: 'api-key', id: principal.keyId, name: principal.name };
    case 'user':
      return { kind: 'user', id: principal.userId, name: principal.email };
  }
}

/**
 * Names whoever made a request for counting (rate limits, idempotency keys): a platform key by its position,
 * a tenant key or user by its id, never by the secret itself. Null for open access, which has no name.
 */
export function requesterKey(principal: Principal): string | null {
  switch (principal.kind) {
    case 'platform':
      return principal.keyIndex === null ? null : `p#${principal.keyIndex}`;
    case 'api-key':
      return `k#${principal.keyId}`;
    case 'user':
      return `u#${principal.userId}`;
  }
}
