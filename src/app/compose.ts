import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AriConnection } from '../ari/client.ts';
import type { AriChannel } from '../ari/types.ts';
import { IdempotencyKeys } from '../api/idempotency.ts';
import { buildServer } from '../api/server.ts';
import type { HealthReport } from '../api/routes/health.ts';
import type { Config } from '../config/schema.ts';
import { createCrm, type Crm } from '../crm/crm-service.ts';
import { getCrmLinks } from '../crm/links.ts';
import type { Originate } from '../crm/bitrix24/click-to-call.ts';
import { directionPolicy } from '../domain/direction.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import { Redis } from 'ioredis';
import { Simulator } from '../sim/simulator.ts';
import { cacheListings, DEFAULT_LISTING_CACHE } from '../store/listing-cache.ts';
import { openStore } from '../store/open-store.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { Engine, type EventSource } from './engine.ts';
import { Spool } from './spool.ts';
import { createMetrics, type EngineMetrics } from './metrics.ts';

// The composition root: the only place that builds adapters from configuration and wires them.

export interface App {
  config: Config;
  store: SqlStore;
  engine: Engine;
  metrics: EngineMetrics;
  server: FastifyInstance;
  simulator: Simulator | null;
  crm: Crm;
  /** Starts ingesting and listening; resolves with the bound address. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

const STORE_CLOSE_WAIT_MS = 5_000;

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
  const metrics = createMetrics();
  const store = cacheListings(await openStore({ url: config.database.url, dataDir: config.database.dataDir, poolSize: config.database.poolSize, logger }), {
    maxAgeMs: config.http.listingCacheMs,
    maxBytes: DEFAULT_LISTING_CACHE.maxBytes,
    onLookup: (answer) => metrics.listingLookups.inc({ answer }),
  });
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  const policy = directionPolicy(config.direction);
  const redis = config.redis.url ? new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 }) : null;
  const connections = new Map<string, AriConnection>();
  const crm = createCrm({
    config: config.crm,
    sql: store.sql,
    logger: logger.child({ component: 'crm' }),
    registry: metrics.registry,
    ...(redis ? { redis } : {}),
    extensionPattern: config.direction.extensionPattern,
    getCall: (id) => store.getCall(id),
    originate: clickToCall(config, connections),
  });
  const engine = new Engine({
    store,
    logger,
    metrics,
    policy,
    ingest: config.ingest,
    planOutbox: (change) => crm.plan(change),
    spool: new Spool(config.ingest.spoolDir ?? join(config.database.dataDir, 'spool')),
    stopDeadlineMs: config.ingest.stopDeadlineMs,
  });

  for (const server of config.ari.servers) {
    const log = logger.child({ component: 'ari', server: server.name });
    const connection: AriConnection = new AriConnection(
      server,
      {
        onEvent: (text, receivedAt, bytes) => {
          const result = engine.acceptRaw(text, receivedAt, server.name, bytes);
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
    connections.set(server.name, connection);
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
    const ingest = {
      pending: engine.ingestor.pendingCount,
      paused: engine.ingestor.isPaused,
      lastError: engine.ingestor.lastError,
      quarantined: engine.quarantinedRows,
    };
    const crmHealth = config.crm.bitrix24 || config.crm.webhooks.length > 0 ? await crmSummary(crm) : null;
    // A dead letter is a call change a CRM never got: degraded until an operator retries it.
    const ok = database.ok && ari.every((a) => a.state === 'connected') && ingest.lastError === null && (crmHealth?.dead ?? 0) === 0;
    return {
      status: ok ? 'ok' : 'degraded',
      checks: { database, ari, simulator: simulator ? { running: simulator.isRunning } : null, ingest, crm: crmHealth },
    };
  };

  const server = await buildServer({
    engine,
    store,
    metrics,
    logger,
    apiKeys: config.http.apiKeys,
    health,
    plugins: [crm.routes],
    crmLinks: (callId) => getCrmLinks(store.sql, callId),
    webRoot: WEB_ROOT,
    // Posted events get their own channel namespace unless they name a server: a recorded trace must
    // never be grouped with the live calls of a connected Asterisk or of the simulator.
    defaultServer: 'api',
    idempotency: new IdempotencyKeys(store.sql),
  });

  return {
    config,
    store,
    engine,
    metrics,
    server,
    simulator,
    crm,
    async start() {
      await engine.start();
      if (simulator) {
        // Simulated calls left open by an earlier run can never finish: the new simulator does not have them.
        const sim = simulator;
        await engine.resync('simulator', async () => ({ channels: sim.listChannels() as unknown as AriChannel[], bridges: [] }));
      }
      if (redis) await redis.connect().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'Redis unreachable; CRM rate limits fall back per instance'));
      crm.worker.start();
      return server.listen({ host: config.http.host, port: config.http.port });
    },
    async stop() {
      await server.close().catch(() => undefined);
      await engine.stop();
      await crm.close();
      redis?.disconnect();
      // A database that stopped answering must not hold the process: what it had not taken is spooled already.
      await Promise.race([store.close(), new Promise((resolve) => setTimeout(resolve, STORE_CLOSE_WAIT_MS).unref())]);
    },
  };
}

/** The CRM backlog for /health: totals over the sinks, and each sink. */
async function crmSummary(crm: Crm): Promise<HealthReport['checks']['crm']> {
  try {
    const { sinks } = await crm.health();
    const ages = sinks.map((s) => s.oldestPendingSec).filter((a): a is number => a !== null);
    return {
      pending: sinks.reduce((n, s) => n + s.pending, 0),
      dead: sinks.reduce((n, s) => n + s.dead, 0),
      oldestPendingAgeMs: ages.length > 0 ? Math.max(...ages) * 1000 : null,
      sinks,
    };
  } catch {
    return null;
  }
}

/** Click-to-call from Bitrix24: ring the employee's extension first, then dial the client from it. */
function clickToCall(config: Config, connections: ReadonlyMap<string, AriConnection>): Originate | undefined {
  const b = config.crm.bitrix24;
  if (!b || config.ari.servers.length === 0) return undefined;
  return async (p) => {
    const name = b.originateServer ?? config.ari.servers[0]!.name;
    const connection = connections.get(name);
    if (!connection) throw new AppError(ERROR_CODES.ARI_UNAVAILABLE, `no ARI server named ${name} for click-to-call`);
    const channel = await connection.rest.originate({
      endpoint: `Local/${p.employeeExtension}@${b.originateContext}`,
      context: b.originateContext,
      extension: p.clientNumber,
      priority: 1,
      channelId: p.channelId,
      callerId: p.lineNumber || undefined,
    });
    return { channelId: channel.id };
  };
}
