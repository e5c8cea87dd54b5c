import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { INVALID, type Authenticator } from '../authenticate.ts';

// GET /health: real checks of the database and of every ARI connection; 503 when degraded. Public, so a
// load balancer can ask; the checks (hosts, backlogs, errors) are shown only to a caller with a key.

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.object({
      database: z.object({ ok: z.boolean(), kind: z.string(), latencyMs: z.number().nullable(), error: z.string().optional() }),
      ari: z.array(
        z.object({
          name: z.string(),
          state: z.string(),
          connectedSince: z.string().nullable(),
          reconnects: z.number(),
          lastError: z.string().nullable(),
        }),
      ),
      simulator: z.object({ running: z.boolean() }).nullable(),
      ingest: z.object({
        pending: z.number(),
        paused: z.boolean(),
        lastError: z.string().nullable(),
        quarantined: z.number().describe('Rows the database refused for good since start (GET /api/quarantine)'),
        spill: z
          .object({
            active: z.boolean().describe('Events go to the spill log on disk while the database falls behind'),
            unread: z.number().describe('Records in the spill log not yet taken in'),
            bytes: z.number(),
            spilled: z.number().describe('Events written to the spill log since start'),
            lost: z.number().describe('Events lost since start because the spill log was full'),
            lastLossAt: z.string().nullable(),
          })
          .nullable(),
      }),
      crm: z
        .object({
          pending: z.number(),
          dead: z.number(),
          oldestPendingAgeMs: z.number().nullable(),
          sinks: z.array(
            z.object({
              name: z.string(),
              breakerOpen: z.boolean(),
              pending: z.number(),
              failing: z.number(),
              dead: z.number(),
              oldestPendingSec: z.number().nullable(),
              lastDeadError: z.string().nullable().describe("Why the sink's newest dead letter was given up"),
              problem: z.string().optional().describe("Why the sink cannot deliver at all (CF_SECRET_UNREADABLE: its tenant's stored secrets do not open under this SECRETS_KEY)"),
            }),
          ),
        })
        .nullable(),
    }),
  })
  .meta({ id: 'Health' });

export type HealthReport = z.infer<typeof healthSchema>;

const healthAnswer = z.union([healthSchema, z.object({ status: z.enum(['ok', 'degraded']) })]);

export function healthRoutes(deps: { health: () => Promise<HealthReport>; door: Authenticator }): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/health',
      {
        config: { access: 'public' },
        schema: {
          tags: ['health'],
          summary: 'Database and Asterisk connection checks (the checks only for operators: platform keys, operator sessions)',
          response: { 200: healthAnswer, 503: healthAnswer },
        },
      },
      async (request, reply) => {
        const report = await deps.health();
        const code = report.status === 'ok' ? 200 : 503;
        // The checks name servers and errors of the whole engine: an operator's, not a tenant's.
        const who = await deps.door.identify(request).catch(() => null);
        const operator = who !== null && who !== INVALID && who.role === 'operator';
        return reply.code(code).send(operator ? report : { status: report.status });
      },
    );
  };
}
