import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorSchema } from '../../api/schemas.ts';
import { principalOf } from '../../api/auth.ts';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { OutboxInsert } from '../../store/types.ts';
import type { Logger } from '../../app/logger.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import { callTenant, getDelivery, listDeliveries, replayCallDeliveries, retryDeadDeliveries, retryDelivery } from '../deliveries.ts';
import { DELIVERY_STATUSES } from '../outbox-sql.ts';

// REST over the outbox: list and inspect deliveries, retry a dead one or all of them, replay a call's deliveries.
// Schemas need the server's zod validator and serializer compilers (src/api/server.ts sets them).

export interface DeliveryRoutesDeps {
  sql: SqlClient;
  logger?: Logger;
  /** Deliveries for a call that has none yet (replay of a call from before the sinks existed); null: no such call. */
  planCall?: (callId: string) => Promise<OutboxInsert[] | null>;
  /** Rows were queued: the worker should look now. */
  wake?: () => void;
}

const iso = z.string().describe('ISO-8601 UTC time');

export const deliverySchema = z
  .object({
    id: z.number().int(),
    sink: z.string().describe('`bitrix24` or `webhook:<name>`'),
    callId: z.string(),
    eventType: z.string(),
    idempotencyKey: z.string().describe('Sent to the target; the same on every retry and replay'),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: iso,
    lastError: z.string().nullable(),
    createdAt: iso,
    deliveredAt: iso.nullable(),
    lockedUntil: iso.nullable(),
    payload: z.unknown().optional(),
  })
  .meta({ id: 'Delivery' });

const listQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  callId: z.string().min(1).max(200).optional(),
  sink: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.coerce.number().int().positive().optional().describe("The previous page's nextCursor"),
});
const idParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const callParams = z.object({ id: z.string().min(1).max(200) });
const replayQuery = z.object({ sink: z.string().min(1).max(200).optional() });
const itemsSchema = z.object({ items: z.array(deliverySchema) });

export function deliveryRoutes(deps: DeliveryRoutesDeps): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/api/deliveries',
      { config: { permission: 'deliveries:read' },
        schema: {
          tags: ['deliveries'],
          summary: 'CRM and webhook deliveries, newest first',
          querystring: listQuery,
          response: { 200: z.object({ items: z.array(deliverySchema), nextCursor: z.number().int().nullable() }), 400: errorSchema },
        },
      },
      async (req) => {
        const q = req.query;
        return listDeliveries(deps.sql, { status: q.status, callId: q.callId, sink: q.sink, limit: q.limit, beforeId: q.cursor, tenantId: principalOf(req).tenantId });
      },
    );

    r.get(
      '/api/deliveries/:id',
      { config: { permission: 'deliveries:read' }, schema: { tags: ['deliveries'], summary: 'One delivery with its payload', params: idParams, response: { 200: deliverySchema, 404: errorSchema } } },
      async (req) => getDelivery(deps.sql, req.params.id, principalOf(req).tenantId),
    );

    r.post(
      '/api/deliveries/:id/retry',
      { config: { permission: 'deliveries:write' },
        schema: {
          tags: ['deliveries'],
          summary: 'Send a dead delivery again (with the dead ones of the same call queued behind it)',
          params: idParams,
          response: { 200: itemsSchema, 400: errorSchema, 404: errorSchema },
        },
      },
      async (req) => {
        const items = await retryDelivery(deps.sql, req.params.id, principalOf(req).tenantId);
        deps.wake?.();
        return { items };
      },
    );

    r.post(
      '/api/deliveries/retry-dead',
      { config: { permission: 'deliveries:write' },
        schema: {
          tags: ['deliveries'],
          summary: 'Send every dead delivery again (of one sink with ?sink=), once the cause is fixed',
          querystring: replayQuery,
          response: { 200: z.object({ retried: z.number().int().describe('Dead deliveries queued again') }), 400: errorSchema },
        },
      },
      async (req) => {
        const retried = await retryDeadDeliveries(deps.sql, req.query.sink, principalOf(req).tenantId);
        deps.logger?.info({ sink: req.query.sink ?? null, retried }, 'dead deliveries sent again by an operator');
        deps.wake?.();
        return { retried };
      },
    );

    r.post(
      '/api/calls/:id/deliveries/replay',
      { config: { permission: 'deliveries:write' },
        schema: {
          tags: ['deliveries'],
          summary: "Deliver a call's changes again, with the same idempotency keys",
          params: callParams,
          querystring: replayQuery,
          response: { 200: itemsSchema, 404: errorSchema },
        },
      },
      async (req) => {
        const { id } = req.params;
        const scope = principalOf(req).tenantId;
        // Another tenant's call is not there for this caller.
        if (scope !== null && (await callTenant(deps.sql, id)) !== scope) throw new AppError(ERROR_CODES.NOT_FOUND, `call ${id} not found`, { details: [{ callId: id }] });
        let known = true;
        const planCall = deps.planCall;
        const plan = planCall
          ? async () => {
              const rows = await planCall(id);
              known = rows !== null;
              return rows ?? [];
            }
          : undefined;
        const items = await replayCallDeliveries(deps.sql, id, { sink: req.query.sink, plan });
        if (!known) throw new AppError(ERROR_CODES.NOT_FOUND, `call ${id} not found`, { details: [{ callId: id }] });
        if (items.length === 0) {
          throw new AppError(ERROR_CODES.DELIVERY_NOT_FOUND, `call ${id} has no deliveries to replay`, { details: [{ callId: id }] });
        }
        deps.wake?.();
        return { items };
      },
    );
  };
}
