import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Store } from '../../store/types.ts';
import { idPageQuery, nextIdCursor } from '../schemas.ts';

// GET /api/quarantine: rows of ingest batches the database refused for good (src/store/isolate-batch.ts),
// newest first. What was refused, why, and the row itself, so an operator can see what never became a call.

const quarantinedRowSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(['event', 'call', 'leg', 'outbox']),
    callId: z.string().nullable(),
    server: z.string().nullable(),
    type: z.string().nullable().describe('The event type, or the delivery event type'),
    sqlstate: z.string().nullable().describe("PostgreSQL's SQLSTATE of the refusal"),
    error: z.string(),
    data: z.string().describe('The refused row as JSON text (an event: its raw text)'),
    createdAt: z.string(),
  })
  .meta({ id: 'QuarantinedRow' });

const query = idPageQuery;

export function quarantineRoutes(deps: { store: Store }): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/quarantine',
      { config: { permission: 'system:read' },
        schema: {
          tags: ['events'],
          summary: 'Rows the database refused for good, kept with the error (newest first)',
          querystring: query,
          response: { 200: z.object({ items: z.array(quarantinedRowSchema), total: z.number().int(), nextCursor: z.number().int().nullable() }) },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const page = await deps.store.listQuarantine(cursor ?? null, limit);
        return { items: page.items, total: page.total, nextCursor: nextIdCursor(page.items, limit) };
      },
    );
  };
}
