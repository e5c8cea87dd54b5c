import type { FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { NewAuditEntry } from '../../tenants/model.ts';
import { actorOf, type Principal } from '../../tenants/principal.ts';
import type { TenantStore } from '../../tenants/tenant-store.ts';
import { principalOf } from '../auth.ts';
import { TENANT_HEADER } from '../authenticate.ts';

// What the account routes share: the tenant a request manages, and changes written with their audit entry.

/** The tenant a request manages: its own, or for an operator the one it acts in (required here). */
export function managedTenant(request: FastifyRequest): { principal: Principal; tenantId: string } {
  const principal = principalOf(request);
  if (principal.tenantId === null) {
    throw new AppError(ERROR_CODES.REQUEST_INVALID, `name the tenant to act in: the ${TENANT_HEADER} header, or switch the session's tenant (PUT /api/session/tenant)`);
  }
  return { principal, tenantId: principal.tenantId };
}

/** Runs a change and appends its audit entry in one transaction: neither is stored without the other. */
export async function audited<T>(
  tenants: TenantStore,
  principal: Principal,
  entry: Omit<NewAuditEntry, 'actor' | 'before' | 'after' | 'targetId'> & { targetId?: string | null; before?: unknown },
  change: (tx: TenantStore) => Promise<T>,
  after: (result: T) => unknown = (result) => result,
): Promise<T> {
  return tenants.transaction(async (tx) => {
    const result = await change(tx);
    // A created thing is named by the id it was given.
    const targetId = entry.targetId ?? (result as { id?: unknown } | null)?.id;
    await tx.appendAudit({ ...entry, targetId: typeof targetId === 'string' ? targetId : null, actor: actorOf(principal), before: entry.before ?? null, after: after(result) ?? null });
    return result;
  });
}

export function notFound(what: string, id: string): AppError {
  return new AppError(ERROR_CODES.NOT_FOUND, `no ${what} "${id}"`);
}
