import type { Role, TenantRole } from './model.ts';

// What each role may do. Routes name the one permission they need (src/api/auth.ts); a role either holds it
// or not. Operators hold every permission; the tenant roles hold the ones below, always within their own
// tenant (an agent's reads are narrowed further to its own extensions, see principal.ts).

export const PERMISSIONS = [
  /** Call history, one call, its events, the CSV export, statistics, the live stream. */
  'calls:read',
  /** Rebuilding a call from its stored events. */
  'calls:write',
  /** CRM and webhook deliveries. */
  'deliveries:read',
  /** Retrying and replaying deliveries. */
  'deliveries:write',
  /** The tenant's CRM and webhook settings (secrets masked). */
  'settings:read',
  'settings:write',
  /** The tenant's users (owners only by owners). */
  'users:manage',
  /** The tenant's API keys. */
  'keys:manage',
  /** The tenant's audit log. */
  'audit:read',
  /** Tenants, their call rules and numbers: the platform operator's. */
  'tenants:manage',
  /** Engine-wide state: gaps, quarantine, metrics, full health. */
  'system:read',
  /** Posting raw events into the engine. */
  'events:ingest',
  /** The tenant's call routing: numbers' destinations, extensions, ring groups, IVR menus, schedules, voicemail, conferences, announcements. */
  'routing:read',
  'routing:write',
  /** One's own session and password. */
  'self',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export { TENANT_ROLES, type Role, type TenantRole } from './model.ts';

const GRANTS: Record<TenantRole, readonly Permission[]> = {
  owner: ['calls:read', 'calls:write', 'deliveries:read', 'deliveries:write', 'settings:read', 'settings:write', 'users:manage', 'keys:manage', 'audit:read', 'routing:read', 'routing:write', 'self'],
  admin: ['calls:read', 'calls:write', 'deliveries:read', 'deliveries:write', 'settings:read', 'settings:write', 'users:manage', 'keys:manage', 'audit:read', 'routing:read', 'routing:write', 'self'],
  agent: ['calls:read', 'routing:read', 'self'],
  reporter: ['calls:read', 'routing:read', 'self'],
};

export function allows(role: Role, permission: Permission): boolean {
  return role === 'operator' || GRANTS[role].includes(permission);
}

/** Which roles `actor` may give to a user or key (an admin may not make owners). */
export function mayGrant(actor: Role, role: Role): boolean {
  if (actor === 'operator') return true;
  if (role === 'operator') return false;
  if (actor === 'owner') return true;
  return actor === 'admin' && role !== 'owner';
}
