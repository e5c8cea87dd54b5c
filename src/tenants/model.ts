// Tenants, users, keys and the audit trail as the rest of the engine sees them (docs/tenants.md). Times are
// ISO strings, as everywhere the API hands data out; the repositories turn the database's Dates into them.

/** The tenant that takes every call no rule or number gives to another; it always exists. */
export const DEFAULT_TENANT_ID = 'default';

export const TENANT_ROLES = ['owner', 'admin', 'agent', 'reporter'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];

/** `operator` belongs to the platform, never to a tenant: users without a tenant and the configured API keys. */
export type Role = TenantRole | 'operator';
export const ROLES: readonly Role[] = ['operator', ...TENANT_ROLES];

export const TENANT_STATUSES = ['active', 'suspended'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const USER_STATUSES = ['active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export function isTenantRole(value: unknown): value is TenantRole {
  return (TENANT_ROLES as readonly unknown[]).includes(value);
}

export function isRole(value: unknown): value is Role {
  return value === 'operator' || isTenantRole(value);
}

export interface Tenant {
  id: string;
  name: string;
  slug: string;
  /** IANA time zone name. */
  timezone: string;
  status: TenantStatus;
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** A user as it may be shown; the password hash never leaves the repository except for login. */
export interface User {
  id: string;
  /** null: a platform operator. */
  tenantId: string | null;
  /** Lower-case. */
  email: string;
  name: string;
  role: Role;
  /** An agent's own extensions: the calls it may see are those that touch them. */
  extensions: string[];
  status: UserStatus;
  createdAt: string;
  updatedAt: string;
  passwordChangedAt: string;
}

export interface SessionInfo {
  /** sha256 of the session token; the token itself is stored nowhere. */
  tokenHash: string;
  userId: string;
  /** The tenant the session acts in; an operator's may be none, and may change. */
  tenantId: string | null;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string;
}

/** A tenant API key without its hash. */
export interface ApiKeyInfo {
  id: string;
  tenantId: string;
  name: string;
  role: TenantRole;
  /** The key's first characters, enough to recognise it in a list. */
  prefix: string;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export const ACTOR_KINDS = ['user', 'api-key', 'platform-key', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export interface AuditActor {
  kind: ActorKind;
  id: string | null;
  name: string;
}

export interface AuditEntry {
  id: number;
  /** null: a platform-wide entry (tenants created, operators managed). */
  tenantId: string | null;
  at: string;
  actor: AuditActor;
  action: string;
  targetType: string | null;
  targetId: string | null;
  /** Secrets masked by the caller before they get here. */
  before: unknown;
  after: unknown;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'>;

/** Every field given must match for the rule to take a call (see resolve-tenant.ts). */
export interface TenantRuleMatch {
  server?: string;
  context?: string;
  /** Glob with `*` and `?`. */
  endpoint?: string;
  /** The called number must be one of the rule tenant's numbers. */
  calledNumber?: boolean;
}

export interface TenantRule {
  id: number;
  tenantId: string;
  position: number;
  match: TenantRuleMatch;
}

export interface TenantNumber {
  number: string;
  tenantId: string;
  label: string | null;
  createdAt: string;
}

export interface TenantCrmSettings {
  config: unknown;
  updatedAt: string;
}
