import type { FoundingChannel } from '../domain/tenant.ts';
import { compileTenantRules, NO_TENANT_RULES, type TenantRuleSet } from './resolve-tenant.ts';

// The rules calls are given their tenant by, as they stand now. The composition root reads them from the
// database and calls `replace` whenever they change; the pipeline only calls `tenantOf`, so grouping does no
// I/O. A replacement applies to calls founded after it: a call keeps the tenant it was given (a rebuild
// decides again, with the rules of its time).

export class TenantDirectory {
  private resolve: (channel: FoundingChannel) => string;

  constructor(set: TenantRuleSet = NO_TENANT_RULES) {
    this.resolve = compileTenantRules(set);
  }

  replace(set: TenantRuleSet): void {
    this.resolve = compileTenantRules(set);
  }

  /** Bound, so it can be handed on as a plain TenantOf. */
  readonly tenantOf = (channel: FoundingChannel): string => this.resolve(channel);
}
