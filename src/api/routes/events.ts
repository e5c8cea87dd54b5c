import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { normalizeAriEvent } from '../../ari/normalize.ts';
import type { Engine } from '../../app/engine.ts';
import { AppError, ERROR_CODES, isAppError } from '../../errors.ts';
import { errorSchema } from '../schemas.ts';

// POST /api/events: raw ARI events injected through the same pipeline as the live socket.
// A request is taken whole or not at all: one malformed event rejects it and changes nothing.

const MAX_EVENTS = 50_000;

const body = z.union([
  z.array(z.unknown()).max(MAX_EVENTS),
  z.object({ server: z.string().min(1).max(128).optional(), events: z.array(z.unknown()).max(MAX_EVENTS) }),
  z.looseObject({ type: z.string() }),
]);

/** Accepts a raw event or the recorded `{seq, recv_ts, event}` line form. */
function unwrap(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !('type' in value) && 'event' in value) return (value as { event: unknown }).event;
  return value;
}

export function eventRoutes(deps: { engine: Engine; defaultServer: string }): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/events',
      {
        schema: {
          tags: ['events'],
          summary: 'Inject one or many raw ARI events (an event, an array, or {server, events})',
          body,
          response: {
            202: z.object({ accepted: z.number(), callIds: z.array(z.string()) }),
            400: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const list = Array.isArray(b) ? b : 'events' in b && Array.isArray(b.events) ? b.events : [b];
        const server = !Array.isArray(b) && 'events' in b && typeof b.server === 'string' ? b.server : deps.defaultServer;
        const events = list.map(unwrap);
        const problems: { index: number; message: string }[] = [];
        const now = new Date().toISOString();
        events.forEach((event, index) => {
          try {
            if (typeof event !== 'object' || event === null || Array.isArray(event)) {
              throw new AppError(ERROR_CODES.EVENT_INVALID, 'event must be a JSON object');
            }
            normalizeAriEvent(event as Record<string, unknown>, now);
          } catch (error) {
            problems.push({ index, message: isAppError(error) ? error.message : 'event could not be read' });
          }
        });
        if (problems.length > 0) {
          throw new AppError(ERROR_CODES.EVENT_INVALID, `${problems.length} of ${events.length} events are malformed; nothing was ingested`, {
            details: problems.slice(0, 100),
          });
        }
        const result = await deps.engine.inject(events, server);
        return reply.code(202).send({ accepted: result.accepted, callIds: result.callIds });
      },
    );
  };
}
