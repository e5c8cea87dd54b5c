import type { z } from 'zod';
import type { CallFilter } from '../../store/types.ts';
import type { callFilterQuery } from '../schemas.ts';

/** Query parameters (already validated) → the store's filter, leaving out what was not given. */
export function toCallFilter(q: z.output<typeof callFilterQuery>): CallFilter {
  const f: CallFilter = {};
  if (q.status?.length) f.status = q.status;
  if (q.disposition?.length) f.disposition = q.disposition;
  if (q.direction?.length) f.direction = q.direction;
  if (q.number) f.number = q.number;
  if (q.server) f.server = q.server;
  if (q.tenant) f.tenantId = q.tenant;
  if (q.since) f.since = q.since;
  if (q.until) f.until = q.until;
  return f;
}
