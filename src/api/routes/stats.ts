import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Engine } from '../../app/engine.ts';
import type { Store } from '../../store/types.ts';
import { callFilterQuery } from '../schemas.ts';
import { toCallFilter } from './call-filter.ts';
import { scopedFilter } from './call-scope.ts';

const statsSchema = z
  .object({
    calls: z.number(),
    events: z.number(),
    activeCalls: z.number(),
    eventsPerSecond: z.number(),
    invalidEvents: z.number(),
    eventsByType: z.record(z.string(), z.number()),
    ari: z.array(z.object({ name: z.string(), state: z.string() })),
  })
  .meta({ id: 'Stats' });

const callStatsSchema = z
  .object({
    total: z.number(),
    answered: z.number().describe('calls with an answer time, finished or still talking'),
    finished: z.number(),
    answerRate: z.number().describe('finished calls answered (disposition answered) over finished calls; 0 when none finished'),
    byDisposition: z.record(z.string(), z.number()),
    byDirection: z.record(z.string(), z.number()),
    perHour: z.array(z.object({ hour: z.string(), total: z.number(), answered: z.number() })),
    avgTalkMs: z.number().nullable(),
    p90TalkMs: z.number().nullable(),
    busiestNumbers: z.array(z.object({ number: z.string(), calls: z.number() })),
  })
  .meta({ id: 'CallStats' });

export function statsRoutes(deps: { engine: Engine; store: Store }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get('/api/stats', { config: { permission: 'system:read' }, schema: { tags: ['stats'], summary: 'Totals, events per type, active calls, current events/s', response: { 200: statsSchema } } }, async () => {
      const stored = await deps.store.stats();
      return {
        calls: stored.calls,
        events: stored.events,
        activeCalls: deps.engine.activeCalls().length,
        eventsPerSecond: Math.round(deps.engine.eventRate.perSecond() * 10) / 10,
        invalidEvents: deps.engine.pipeline.invalidCount,
        eventsByType: stored.eventsByType,
        ari: deps.engine.connections.map((c) => ({ name: c.serverName, state: c.state })),
      };
    });
    r.get(
      '/api/stats/calls',
      { config: { permission: 'calls:read' }, schema: { tags: ['stats'], summary: 'Call statistics over a filtered set', querystring: callFilterQuery, response: { 200: callStatsSchema } } },
      async (request) => deps.store.callStats(scopedFilter(request, toCallFilter(request.query))),
    );
  };
}
