import type { FastifyRequest } from 'fastify';
import type { CallRecord } from '../../domain/call.ts';
import { AppError, ERROR_CODES } from '../../errors.ts';
import { scopeOf } from '../../tenants/principal.ts';
import type { CallFilter } from '../../store/types.ts';
import { principalOf } from '../auth.ts';

// Which calls a request may see: its tenant's (an operator acting in no tenant: every tenant's, narrowed by
// ?tenant= if it likes), and for an agent only those whose caller or callee is one of its extensions. A call
// outside that is answered as not found, never as forbidden: its existence is not the caller's to learn.

/** The listing filter with the request's scope laid over it (a tenant's caller cannot widen it with ?tenant=). */
export function scopedFilter(request: FastifyRequest, filter: CallFilter): CallFilter {
  const scope = scopeOf(principalOf(request));
  const scoped: CallFilter = { ...filter };
  if (scope.tenantId !== null) scoped.tenantId = scope.tenantId;
  if (scope.extensions !== null) scoped.parties = [...scope.extensions];
  return scoped;
}

export function visibleTo(request: FastifyRequest, call: CallRecord): boolean {
  const scope = scopeOf(principalOf(request));
  if (scope.tenantId !== null && call.tenantId !== scope.tenantId) return false;
  if (scope.extensions !== null && !scope.extensions.includes(call.from) && !scope.extensions.includes(call.to)) return false;
  return true;
}

/** The call if this request may see it, else CF_NOT_FOUND. */
export function visibleOr404(request: FastifyRequest, id: string, call: CallRecord | null): CallRecord {
  if (call === null || !visibleTo(request, call)) throw new AppError(ERROR_CODES.NOT_FOUND, `call ${id} not found`);
  return call;
}

/** True when the request sees every call (an operator acting in no tenant): no per-call check is needed. */
export function seesEverything(request: FastifyRequest): boolean {
  const scope = scopeOf(principalOf(request));
  return scope.tenantId === null && scope.extensions === null;
}
