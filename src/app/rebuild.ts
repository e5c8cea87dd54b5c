import type { CallRecord } from '../domain/call.ts';
import type { DirectionPolicy } from '../domain/direction.ts';
import type { TenantOf } from '../domain/tenant.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import type { StoredEvent } from '../store/types.ts';
import { Pipeline } from './pipeline.ts';

// A call rebuilt from nothing but its stored raw events, through the same pipeline. Its tenant is decided
// again by `tenantOf` (the rules as they stand): the same rules give the same tenant.

export function rebuildFromEvents(
  events: readonly StoredEvent[],
  server: string,
  policy: DirectionPolicy,
  callId: string,
  tenantOf?: TenantOf,
): CallRecord {
  const pipeline = new Pipeline({ policy, tenantOf });
  for (const e of events) pipeline.ingestObject(e.event, new Date(e.receivedAt), server);
  const { live } = pipeline.drain(0);
  let record: CallRecord | null = null;
  for (const m of live) if (m.type !== 'call.merged' && m.call.id === callId) record = m.call;
  if (!record) throw new AppError(ERROR_CODES.NOT_FOUND, `the stored events of call ${callId} do not form that call`);
  return record;
}
