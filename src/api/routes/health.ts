import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

// GET /health: real checks of the database and of every ARI connection; 503 when degraded.

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
      ingest: z.object({ pending: z.number(), paused: z.boolean(), lastError: z.string().nullable() }),
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
            }),
          ),
        })
        .nullable(),
    }),
  })
  .meta({ id: 'Health' });

export type HealthReport = z.infer<typeof healthSchema>;

export function healthRoutes(deps: { health: () => Promise<HealthReport> }): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/health',
      { schema: { tags: ['health'], summary: 'Database and Asterisk connection checks', response: { 200: healthSchema, 503: healthSchema } } },
      async (_request, reply) => {
        const report = await deps.health();
        return reply.code(report.status === 'ok' ? 200 : 503).send(report);
      },
    );
  };
}
