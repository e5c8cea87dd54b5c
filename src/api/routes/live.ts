import type { FastifyPluginAsync } from 'fastify';
import type { Engine } from '../../app/engine.ts';
import type { EngineMetrics } from '../../app/metrics.ts';

// WebSocket /api/live: a snapshot of the open calls, then every committed change as it happens.

const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export function liveRoutes(deps: { engine: Engine; metrics: EngineMetrics }): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/live', { websocket: true, schema: { tags: ['live'], summary: 'WebSocket: snapshot then call.created / call.updated / call.finished / call.merged' } }, (socket) => {
      socket.send(JSON.stringify({ type: 'snapshot', calls: deps.engine.activeCalls() }));
      const unsubscribe = deps.engine.hub.subscribe((message) => {
        if (socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          // A client that cannot keep up is dropped rather than holding memory; it reconnects and gets a snapshot.
          socket.close(1013, 'too slow');
          return;
        }
        socket.send(JSON.stringify(message));
      });
      deps.metrics.liveSubscribers.set(deps.engine.hub.subscriberCount);
      socket.on('close', () => {
        unsubscribe();
        deps.metrics.liveSubscribers.set(deps.engine.hub.subscriberCount);
      });
      socket.on('message', () => {
        // The stream is one-way; client messages are ignored.
      });
    });
  };
}
