import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AriConnection } from '../ari/client.ts';
import type { AriChannel } from '../ari/types.ts';
import { buildServer } from '../api/server.ts';
import type { HealthReport } from '../api/routes/health.ts';
import type { Config } from '../config/schema.ts';
import { directionPolicy } from '../domain/direction.ts';
import { Simulator } from '../sim/simulator.ts';
import { openStore } from '../store/open-store.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { Engine, type EventSource } from './engine.ts';
import { createMetrics, type EngineMetrics } from './metrics.ts';

// The composition root: the only place that builds adapters from configuration and wires them.

export interface App {
  config: Config;
  store: SqlStore;
  engine: Engine;
  metrics: EngineMetrics;
  server: FastifyInstance;
  simulator: Simulator | null;
  /** Starts ingesting and listening; resolves with the bound address. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');

function ariSource(engine: Engine, connection: AriConnection): EventSource {
  return {
    name: connection.serverName,
    kind: 'ari',
    start: () => connection.start(),
    stop: () => connection.stop(),
    pause: () => connection.pause(),
    resume: () => connection.resume(),
  };
}

export function simulatorEnabled(config: Config): boolean {
  return config.simulator.mode === 'on' || (config.simulator.mode === 'auto' && config.ari.servers.length === 0);
}

export async function createApp(config: Config, logger: Logger): Promise<App> {
  const store = await openStore({ url: config.database.url, dataDir: config.database.dataDir, poolSize: config.database.poolSize, logger });
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  const metrics = createMetrics();
  const policy = directionPolicy(config.direction);
  const engine = new Engine({ store, logger, metrics, policy, ingest: config.ingest });

  for (const server of config.ari.servers) {
    const log = logger.child({ component: 'ari', server: server.name });
    const connection: AriConnection = new AriConnection(
      server,
      {
        onEvent: (text, receivedAt) => {
          const result = engine.acceptRaw(text, receivedAt, server.name);
          // Without subscribeAll, Asterisk stops telling about a channel at StasisEnd; subscribing to it
          // explicitly keeps its ChannelDestroyed (and hangup cause) coming.
          if (!server.subscribeAll && result.ok && result.type === 'StasisStart' && result.channelId) {
            connection.rest.subscribe(server.app, `channel:${result.channelId}`).catch((error: unknown) => {
              log.warn({ err: (error as Error).message }, 'could not subscribe to a channel');
            });
          }
        },
        onConnected: async () => {
          if (!server.subscribeAll) log.warn('subscribeAll is off: calls that never enter Stasis are invisible and hangup causes after StasisEnd are lost');
          await engine.resync(server.name, async () => ({
            channels: await connection.rest.listChannels(),
            bridges: await connection.rest.listBridges(),
          }));
        },
      },
      { logger: log },
    );
    engine.addConnection(connection, ariSource(engine, connection));
  }

  let simulator: Simulator | null = null;
  if (simulatorEnabled(config)) {
    const serverName = 'simulator';
    const sim = new Simulator({
      seed: config.simulator.seed,
      callsPerSecond: config.simulator.callsPerSecond,
      withChannelvars: true,
      sink: (text, receivedAt) => engine.acceptRaw(text, receivedAt, serverName),
    });
    simulator = sim;
    // The simulator is paced by its own clock; backpressure has nothing to slow down there.
    engine.addSource({ name: serverName, kind: 'simulator', start: () => sim.start(), stop: async () => sim.stop(), pause: () => undefined, resume: () => undefined });
  }

  const health = async (): Promise<HealthReport> => {
    const started = performance.now();
    let database: HealthReport['checks']['database'];
    try {
      await store.ping();
      database = { ok: true, kind: store.kind, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
    } catch (error) {
      database = { ok: false, kind: store.kind, latencyMs: null, error: (error as Error).message };
    }
    const ari = engine.connections.map((c) => ({
      name: c.serverName,
      state: c.state,
      connectedSince: c.connectedSince ? c.connectedSince.toISOString() : null,
      reconnects: c.reconnects,
      lastError: c.lastError ? c.lastError.message : null,
    }));
    const ingest = { pending: engine.ingestor.pendingCount, paused: engine.ingestor.isPaused, lastError: engine.ingestor.lastError };
    const ok = database.ok && ari.every((a) => a.state === 'connected') && ingest.lastError === null;
    return {
      status: ok ? 'ok' : 'degraded',
      checks: { database, ari, simulator: simulator ? { running: simulator.isRunning } : null, ingest, crm: null },
    };
  };

  const server = await buildServer({
    engine,
    store,
    metrics,
    logger,
    apiKeys: config.http.apiKeys,
    health,
    webRoot: WEB_ROOT,
    defaultServer: config.ari.servers[0]?.name ?? (simulator ? 'simulator' : 'default'),
  });

  return {
    config,
    store,
    engine,
    metrics,
    server,
    simulator,
    async start() {
      await engine.start();
      if (simulator) {
        // Simulated calls left open by an earlier run can never finish: the new simulator does not have them.
        const sim = simulator;
        await engine.resync('simulator', async () => ({ channels: sim.listChannels() as unknown as AriChannel[], bridges: [] }));
      }
      return server.listen({ host: config.http.host, port: config.http.port });
    },
    async stop() {
      await server.close().catch(() => undefined);
      await engine.stop();
      await store.close();
    },
  };
}
