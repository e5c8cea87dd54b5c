import type { FastifyPluginAsync } from 'fastify';
import type { Engine } from '../../app/engine.ts';
import type { EngineMetrics } from '../../app/metrics.ts';

// GET /metrics: Prometheus text format.

export function metricsRoutes(deps: { engine: Engine; metrics: EngineMetrics }): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', { config: { permission: 'system:read' }, schema: { tags: ['metrics'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
      const { metrics, engine } = deps;
      metrics.pendingEvents.set(engine.ingestor.pendingCount);
      metrics.activeCalls.set(engine.activeCalls().length);
      for (const c of engine.connections) {
        metrics.ariConnected.set({ server: c.serverName }, c.state === 'connected' ? 1 : 0);
        metrics.ariReconnects.set({ server: c.serverName }, c.reconnects);
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  };
}
