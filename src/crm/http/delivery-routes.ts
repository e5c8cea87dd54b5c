import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { OutboxInsert } from '../../store/types.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import { getDelivery, listDeliveries, replayCallDeliveries, retryDelivery } from '../deliveries.ts';
import { DELIVERY_STATUSES } from '../outbox-sql.ts';

// REST over the outbox: list and inspect deliveries, retry a dead one, replay a call's deliveries.

export interface DeliveryRoutesDeps {
  sql: SqlClient;
  /** Deliveries for a call that has none yet (replay of a call from before the sinks existed); null: no such call. */
  planCall?: (callId: string) => Promise<OutboxInsert[] | null>;
  /** Rows were queued: the worker should look now. */
  wake?: () => void;
}

export const listQuerySchema = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  callId: z.string().min(1).max(200).optional(),
  sink: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.coerce.number().int().positive().optional(),
});
const idParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const callParams = z.object({ id: z.string().min(1).max(200) });
const replayQuery = z.object({ sink: z.string().min(1).max(200).optional() });

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`);
  throw new AppError(ERROR_CODES.REQUEST_INVALID, `invalid request: ${problems.join('; ')}`, { details: problems });
}

export function deliveryRoutes(deps: DeliveryRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/deliveries', async (req) => {
      const q = parse(listQuerySchema, req.query, 'query');
      return listDeliveries(deps.sql, { status: q.status, callId: q.callId, sink: q.sink, limit: q.limit, beforeId: q.cursor });
    });

    app.get('/api/deliveries/:id', async (req) => {
      const { id } = parse(idParams, req.params, 'params');
      return getDelivery(deps.sql, id);
    });

    app.post('/api/deliveries/:id/retry', async (req) => {
      const { id } = parse(idParams, req.params, 'params');
      const items = await retryDelivery(deps.sql, id);
      deps.wake?.();
      return { items };
    });

    app.post('/api/calls/:id/deliveries/replay', async (req) => {
      const { id } = parse(callParams, req.params, 'params');
      const { sink } = parse(replayQuery, req.query, 'query');
      let known = true;
      const plan = deps.planCall
        ? async () => {
            const rows = await deps.planCall!(id);
            known = rows !== null;
            return rows ?? [];
          }
        : undefined;
      const items = await replayCallDeliveries(deps.sql, id, { sink, plan });
      if (!known) throw new AppError(ERROR_CODES.NOT_FOUND, `call ${id} not found`, { details: { callId: id } });
      if (items.length === 0) {
        throw new AppError(ERROR_CODES.DELIVERY_NOT_FOUND, `call ${id} has no deliveries to replay`, { details: { callId: id } });
      }
      deps.wake?.();
      return { items };
    });
  };
}
