import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Engine } from '../../app/engine.ts';
import { LIVE_CLOSE_CODES } from '../../app/live-protocol.ts';
import type { EngineMetrics } from '../../app/metrics.ts';
import { LIVE_DEFAULTS, type LiveConfig } from '../../config/schema.ts';
import { ERROR_CODES, isAppError } from '../../errors.ts';
import type { AuthThrottle } from '../auth-throttle.ts';
import { allows } from '../../tenants/permissions.ts';
import { forbidden, principalOf, refusedBySelf } from '../auth.ts';
import type { Authenticator } from '../authenticate.ts';
import { LiveAccess } from '../live-access.ts';
import { LiveTickets } from '../live-tickets.ts';

// WS /api/live: a snapshot of the open calls (or what a returning client missed), then every committed
// change, numbered (app/live-hub.ts, app/live-protocol.ts); POST /api/live/tickets: the credential a
// browser opens it with (live-tickets.ts). The protocol is described in docs/api.md.

/** Tickets and the per-client bound (config `live.*`, docs/configuration.md). */
export type LiveRouteOptions = Pick<LiveConfig, 'ticketTtlMs' | 'clientBufferBytes'>;

/** After the close frame, how long a slow client gets to read up to it before its socket is destroyed. */
const SLOW_CLOSE_GRACE_MS = 10_000;

const liveQuery = z.object({
  ticket: z.string().max(128).optional().describe('a ticket from POST /api/live/tickets'),
  since: z.coerce.number().int().min(0).optional().describe('the last seq the client saw: resume after it'),
  stream: z.string().max(64).optional().describe('the stream id that seq belongs to'),
});

const ticketSchema = z
  .object({ ticket: z.string(), expiresAt: z.string().describe('ISO-8601; the ticket opens one connection before then') })
  .meta({ id: 'LiveTicket' });

export interface LiveRouteDeps {
  engine: Engine;
  metrics: EngineMetrics;
  door: Authenticator;
  /** Counts refused credentials with the wrong keys of other routes (auth-throttle.ts). */
  throttle?: AuthThrottle;
  allowedOrigins?: readonly string[];
  live?: Partial<LiveRouteOptions>;
}

export function liveRoutes(deps: LiveRouteDeps): FastifyPluginAsync {
  const options: LiveRouteOptions = { ...LIVE_DEFAULTS, ...deps.live };
  const tickets = new LiveTickets(options.ticketTtlMs);
  const access = new LiveAccess(deps.door, tickets, deps.allowedOrigins ?? []);
  const { hubs } = deps.engine;
  const { metrics } = deps;

  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/api/live/tickets',
      {
        config: { permission: 'calls:read' },
        schema: { tags: ['live'], summary: 'A single-use ticket to open WS /api/live with (?ticket=), valid for seconds', response: { 200: ticketSchema } },
      },
      async (request, reply) => {
        const issued = tickets.issue(principalOf(request));
        void reply.header('cache-control', 'no-store');
        return { ticket: issued.ticket, expiresAt: new Date(issued.expiresAtMs).toISOString() };
      },
    );

    r.get(
      '/api/live',
      {
        websocket: true,
        config: { access: 'self' },
        schema: { tags: ['live'], summary: 'WebSocket: snapshot or resume, then numbered call changes', querystring: liveQuery },
        onRequest: async (request, reply) => {
          const { ticket } = request.query as { ticket?: unknown };
          try {
            const principal = await access.check(request, typeof ticket === 'string' ? ticket : undefined);
            await deps.door.checkTenant(principal);
            if (!allows(principal.role, 'calls:read')) throw forbidden('calls:read');
            request.principal = principal;
          } catch (error) {
            if (deps.throttle && isAppError(error) && error.code === ERROR_CODES.UNAUTHORIZED) throw await refusedBySelf(deps.throttle, request, reply, error);
            throw error;
          }
        },
      },
      (socket, request) => {
        const { since, stream } = request.query;
        let openingBytes = 0;
        let closing = false;

        const tooSlow = (): void => {
          closing = true;
          attachment.detach();
          metrics.liveSlowDisconnects.inc();
          // The close frame queues behind what the client has not read; one that reads on gets it, one that
          // stopped reading loses its socket after the grace period.
          socket.close(LIVE_CLOSE_CODES.TOO_SLOW, 'too slow: reconnect with since to resume');
          const timer = setTimeout(() => socket.terminate(), SLOW_CLOSE_GRACE_MS);
          timer.unref();
          socket.once('close', () => clearTimeout(timer));
        };

        // A tenant's principal gets its tenant's stream (an agent too: live calls are the tenant's), an
        // operator acting in no tenant the whole engine's.
        const hub = hubs.of(principalOf(request).tenantId);
        const attachment = hub.attach(
          (frame) => {
            if (closing || socket.readyState !== socket.OPEN) return;
            const buffered = socket.bufferedAmount;
            if (buffered > options.clientBufferBytes + openingBytes) return tooSlow();
            // Once the opening frames have gone out, the plain bound applies.
            if (buffered <= options.clientBufferBytes) openingBytes = 0;
            socket.send(frame, { binary: false });
          },
          since === undefined ? null : { since, stream: stream ?? '' },
        );
        metrics.liveOpenings.inc({ outcome: attachment.outcome });
        for (const frame of attachment.opening) {
          openingBytes += frame.length;
          socket.send(frame, { binary: false });
        }
        metrics.liveSubscribers.set(hubs.subscriberCount);
        socket.on('close', () => {
          attachment.detach();
          metrics.liveSubscribers.set(hubs.subscriberCount);
        });
        socket.on('message', () => {
          // The stream is one-way; client messages are ignored.
        });
      },
    );
  };
}
