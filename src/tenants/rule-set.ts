import type { TenantRuleSet } from './resolve-tenant.ts';
import type { TenantStore } from './tenant-store.ts';

/** Every tenant's rules in the order they are tried, and the numbers tenants own, as stored. */
export async function loadTenantRuleSet(accounts: TenantStore): Promise<TenantRuleSet> {
  const rules = await accounts.listRules();
  const numbers = await accounts.listNumbers();
  return {
    rules: rules.map((rule) => ({ tenantId: rule.tenantId, match: rule.match })),
    numbers: new Map(numbers.map((n) => [n.number, n.tenantId])),
  };
}
