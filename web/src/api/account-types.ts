// Accounts as the API shows them (src/api/routes/account-schemas.ts, session.ts, tenants.ts).

import type { ApiKeyInfo, Role, Tenant } from '../../../src/tenants/model.ts';

export type { ApiKeyInfo, AuditEntry, Role, Tenant, TenantNumber, TenantRole, TenantRule, TenantRuleMatch as RuleMatch, User } from '../../../src/tenants/model.ts';
export { TENANT_ROLES } from '../../../src/tenants/model.ts';

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

export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

export interface Items<T> {
  items: T[];
}
