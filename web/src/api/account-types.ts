// Accounts as the API shows them (src/api/routes/account-schemas.ts, session.ts, tenants.ts).

export type Role = 'operator' | 'owner' | 'admin' | 'agent' | 'reporter';
export const TENANT_ROLES = ['owner', 'admin', 'agent', 'reporter'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];

export interface Tenant {
  id: string;
  name: string;
  slug: string;
  timezone: string;
  status: 'active' | 'suspended';
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** Who the dashboard acts as (GET /api/session). */
export interface Session {
  kind: 'platform' | 'api-key' | 'user';
  role: Role;
  name: string;
  email: string | null;
  userId: string | null;
  /** The tenant requests act in; null: all tenants (operators). */
  tenantId: string | null;
  tenant: Tenant | null;
  extensions: string[];
  permissions: string[];
  csrfToken: string | null;
  /** No keys and no users exist yet: anyone reaching the engine acts as the operator. */
  open: boolean;
}

export interface User {
  id: string;
  tenantId: string | null;
  email: string;
  name: string;
  role: Role;
  extensions: string[];
  status: 'active' | 'disabled';
  createdAt: string;
  updatedAt: string;
  passwordChangedAt: string;
}

export interface ApiKeyInfo {
  id: string;
  tenantId: string;
  name: string;
  role: TenantRole;
  prefix: string;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

export interface AuditEntry {
  id: number;
  tenantId: string | null;
  at: string;
  actor: { kind: 'user' | 'api-key' | 'platform-key' | 'system'; id: string | null; name: string };
  action: string;
  targetType: string | null;
  targetId: string | null;
  before: unknown;
  after: unknown;
}

export interface RuleMatch {
  server?: string;
  context?: string;
  endpoint?: string;
  calledNumber?: boolean;
}

export interface TenantRule {
  id: number;
  tenantId: string;
  position: number;
  match: RuleMatch;
}

export interface TenantNumber {
  number: string;
  tenantId: string;
  label: string | null;
  createdAt: string;
}

export interface Items<T> {
  items: T[];
}
