import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { PresenceBoard } from '../../routing/runtime/presence-board.ts';
import type { RoutingStore } from '../../routing/objects/routing-store.ts';
import { simulateRoute } from '../../routing/simulate.ts';
import { stepText } from '../../routing/runtime/step-text.ts';
import { verifyPinSync } from '../../tenants/passwords.ts';
import { errorSchema } from '../schemas.ts';
import { managedTenant, notFound } from './account-support.ts';

// Routing as callers meet it, without placing a call: where a call would go (POST /api/routing/simulate, the
// same flow machine live calls run, answered by a script), and the audio of a voicemail message (kept by
// Asterisk as a stored recording, fetched over ARI when asked).

export interface RoutingCallDeps {
  routing: RoutingStore;
  /** A stored recording's audio from the connected Asterisk servers, or null when none has it. */
  recordingAudio?: (name: string) => Promise<Buffer | null>;
  /** The tenant's presence board (the flow runtimes' view of the phones); absent: no board (503). */
  presence?: (tenantId: string) => Promise<PresenceBoard>;
}

const READ = { permission: 'routing:read', validationCode: ERROR_CODES.ROUTING_INVALID } as const;
const TAGS = ['routing'];
const keys = z.string().regex(/^[0-9*#]{1,16}$/, 'keys 0-9, * and #');
const phone = z.string().min(1).max(64);

const simulateBody = z
  .object({
    number: phone.describe("the number called (one of the tenant's)"),
    from: phone.nullable().default(null).describe('caller number'),
    at: z.iso.datetime({ offset: true }).optional().describe('when the call comes in (default: now); schedules are evaluated at it'),
    digits: z.array(keys).max(32).default([]).describe('keys pressed, entry by entry, whenever the flow waits for keys'),
    answeredBy: z.array(phone).max(64).default([]).describe('extension numbers that answer when rung (default: nobody)'),
    presence: z.record(phone, z.enum(['idle', 'ringing', 'in-call', 'unavailable'])).optional().describe('phone state by extension number (default idle)'),
  })
  .meta({ id: 'RoutingSimulateBody' });

const simulateResult = z
  .object({
    outcome: z.string(),
    steps: z.array(z.object({ kind: z.string(), text: z.string(), data: z.record(z.string(), z.unknown()) })),
  })
  .meta({ id: 'RoutingSimulation' });

const presenceState = z.enum(['idle', 'ringing', 'in-call', 'unavailable']);
const presenceResult = z
  .object({
    at: z.string(),
    extensions: z.array(
      z.object({ id: z.string(), number: z.string(), name: z.string(), endpoint: z.string(), enabled: z.boolean(), state: presenceState, since: z.string().nullable() }),
    ),
    ringGroups: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        number: z.string().nullable(),
        strategy: z.string(),
        members: z.array(z.object({ extensionId: z.string(), number: z.string(), state: presenceState })),
        counts: z.object({ idle: z.number(), ringing: z.number(), 'in-call': z.number(), unavailable: z.number() }),
      }),
    ),
  })
  .meta({ id: 'RoutingPresence' });

const messageParams = z.object({ id: z.string().min(1).max(64), messageId: z.string().min(1).max(64) });

export function routingCallRoutes(deps: RoutingCallDeps): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.post(
      '/api/routing/simulate',
      { config: READ, schema: { tags: TAGS, summary: "The path a call to one of the tenant's numbers would take, without placing it", body: simulateBody, response: { 200: simulateResult, 404: errorSchema, 422: errorSchema } } },
      async (request) => {
        const { tenantId } = managedTenant(request);
        const body = request.body;
        const config = await deps.routing.snapshot(tenantId);
        if (!config.numbers.has(body.number)) throw notFound('number', body.number);
        const result = simulateRoute(config, {
          number: body.number,
          from: body.from,
          at: body.at === undefined ? Date.now() : Date.parse(body.at),
          digits: body.digits,
          answeredBy: body.answeredBy,
          ...(body.presence ? { presence: body.presence } : {}),
          checkPin: (hash, pin) => verifyPinSync(pin, hash),
        });
        return {
          outcome: result.outcome,
          steps: result.steps.map((s) => ({ kind: s.kind, text: stepText(s, config), data: s as unknown as Record<string, unknown> })),
        };
      },
    );

    r.get(
      '/api/routing/presence',
      {
        config: READ,
        schema: {
          tags: TAGS,
          summary: "The presence board: each extension's phone (idle, ringing, in a call, unavailable: from Asterisk's device and endpoint states and the engine's flows) and each ring group's members",
          response: { 200: presenceResult, 503: errorSchema },
        },
      },
      async (request) => {
        const { tenantId } = managedTenant(request);
        if (!deps.presence) throw new AppError(ERROR_CODES.ARI_UNAVAILABLE, 'presence is not available in this process (no routing runtime)');
        return deps.presence(tenantId);
      },
    );

    r.get(
      '/api/routing/voicemail-boxes/:id/messages/:messageId/audio',
      { config: READ, schema: { tags: TAGS, summary: "A voicemail message's audio (WAV); 404 when the message or its audio is not there", params: messageParams } },
      async (request, reply) => {
        const { tenantId } = managedTenant(request);
        const message = await deps.routing.getMessage(tenantId, request.params.id, request.params.messageId);
        if (message === null) throw notFound('voicemail message', request.params.messageId);
        const audio = deps.recordingAudio ? await deps.recordingAudio(message.recordingId) : null;
        if (audio === null) throw notFound('voicemail audio', request.params.messageId);
        return reply.header('content-type', 'audio/wav').header('cache-control', 'private, max-age=300').send(audio);
      },
    );
  };
}
