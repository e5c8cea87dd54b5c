import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EVENT_LIMITS } from '../../ari/event-limits.ts';
import { normalizeAriEvent } from '../../ari/normalize.ts';
import type { Engine } from '../../app/engine.ts';
import { AppError, ERROR_CODES, isAppError } from '../../errors.ts';
import { IdempotencyKeys } from '../idempotency.ts';
import { errorSchema } from '../schemas.ts';

// POST /api/events: raw ARI events injected through the same pipeline as the live socket.
// A request is taken whole or not at all: one malformed or oversized event rejects it and changes nothing.
// Posted events never reach the calls of a live source (a configured ARI server, the simulator): a trace
// posted under such a name could end or alter real calls. With an Idempotency-Key header a request is
// done once (idempotency.ts).

/** Events in one request. */
export const MAX_EVENTS_PER_REQUEST = 20_000;
/** Bytes of one request body. */
export const MAX_EVENTS_BODY_BYTES = 16 * 1024 * 1024;
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

const serverName = z.string().regex(SERVER_NAME, 'server must be 1-64 letters, digits, ".", "_", ":" or "-"');
const body = z.union([
  z.array(z.unknown()).max(MAX_EVENTS_PER_REQUEST),
  z.object({ server: serverName.optional(), events: z.array(z.unknown()).max(MAX_EVENTS_PER_REQUEST) }),
  z.looseObject({ type: z.string() }),
]);

const accepted = z.object({
  accepted: z.number(),
  callIds: z.array(z.string()).describe('The calls the events belong to, under the ids they have once the events are stored'),
});

/** Accepts a raw event or the recorded `{seq, recv_ts, event}` line form. */
function unwrap(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !('type' in value) && 'event' in value) return (value as { event: unknown }).event;
  return value;
}

function problemOf(event: unknown, now: string): string | null {
  try {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return 'event must be a JSON object';
    const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
    if (bytes > EVENT_LIMITS.eventBytes) return `event is ${bytes} bytes, over the ${EVENT_LIMITS.eventBytes}-byte limit`;
    normalizeAriEvent(event as Record<string, unknown>, now);
    return null;
  } catch (error) {
    return isAppError(error) ? error.message : 'event could not be read';
  }
}

export function eventRoutes(deps: { engine: Engine; defaultServer: string; idempotency: IdempotencyKeys }): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/events',
      { config: { permission: 'events:ingest' },
        bodyLimit: MAX_EVENTS_BODY_BYTES,
        schema: {
          tags: ['events'],
          summary: 'Inject one or many raw ARI events (an event, an array, or {server, events})',
          headers: z.object({
            'idempotency-key': z.string().optional().describe('Done once per key: the same key and body within 24 h get the first answer again'),
          }),
          body,
          response: { 202: accepted, 400: errorSchema, 403: errorSchema, 409: errorSchema, 422: errorSchema },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const list = Array.isArray(b) ? b : 'events' in b && Array.isArray(b.events) ? b.events : [b];
        const server = !Array.isArray(b) && 'events' in b && typeof b.server === 'string' ? b.server : deps.defaultServer;
        if (deps.engine.isLiveSource(server)) {
          throw new AppError(ERROR_CODES.FORBIDDEN, `server "${server}" is a live event source; posted events go under another server name`);
        }
        const events = list.map(unwrap);
        const now = new Date().toISOString();
        const problems: { index: number; message: string }[] = [];
        events.forEach((event, index) => {
          const message = problemOf(event, now);
          if (message !== null) problems.push({ index, message });
        });
        if (problems.length > 0) {
          throw new AppError(ERROR_CODES.EVENT_INVALID, `${problems.length} of ${events.length} events are malformed; nothing was ingested`, {
            details: problems.slice(0, 100),
          });
        }
        const key = IdempotencyKeys.keyOf(request);
        const reservation = key === null ? null : await deps.idempotency.reserve(request, key, b);
        if (reservation?.kind === 'replay') {
          // The stored answer is the body this route sent then (only accepted requests are kept).
          return reply.code(202).header('idempotent-replayed', 'true').send(accepted.parse(JSON.parse(reservation.answer.body)));
        }
        let result: Awaited<ReturnType<Engine['inject']>>;
        try {
          result = await deps.engine.inject(events, server);
        } catch (error) {
          if (reservation) await deps.idempotency.release(reservation).catch(() => undefined);
          throw error;
        }
        const answer = { accepted: result.accepted, callIds: result.callIds };
        if (reservation) await deps.idempotency.complete(reservation, { statusCode: 202, body: JSON.stringify(answer) });
        return reply.code(202).send(answer);
      },
    );
  };
}
