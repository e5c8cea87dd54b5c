import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Store } from '../../store/types.ts';
import { idPageQuery, nextIdCursor } from '../schemas.ts';

// GET /api/gaps: windows in which the engine could not see a server's events (its events socket down, or the
// engine not running), newest first. Asterisk keeps no events for an absent reader: calls in these windows are
// known only from its own records.

const gapSchema = z
  .object({
    id: z.number().int(),
    server: z.string(),
    from: z.string().describe('ISO-8601 UTC: events stopped being seen'),
    to: z.string().describe('ISO-8601 UTC: events were seen again'),
    reason: z.enum(['disconnected', 'engine_down']),
    backfilledAt: z.string().nullable().describe("ISO-8601 UTC: when the window was backfilled from the server's CEL; null: not backfilled"),
    backfill: z
      .object({
        rows: z.number().int().describe('CEL rows of the window read'),
        invalid: z.number().int().describe('rows refused as malformed (passed over)'),
        newChannels: z.number().int().describe('channels the engine had not seen, created from CEL'),
        correctedChannels: z.number().int().describe('channels it knew whose answer or end CEL supplied'),
        calls: z.number().int().describe('calls touched'),
      })
      .nullable(),
  })
  .meta({ id: 'IngestGap' });

const query = idPageQuery.extend({ server: z.string().min(1).max(128).optional() });

export function gapRoutes(deps: { store: Store }): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/gaps',
      { config: { permission: 'system:read' },
        schema: {
          tags: ['events'],
          summary: "Windows in which a server's events could not be seen (newest first)",
          querystring: query,
          response: { 200: z.object({ items: z.array(gapSchema), nextCursor: z.number().int().nullable() }) },
        },
      },
      async (request) => {
        const { server, limit, cursor } = request.query;
        const items = await deps.store.listGaps(server ?? null, cursor ?? null, limit);
        return { items, nextCursor: nextIdCursor(items, limit) };
      },
    );
  };
}
