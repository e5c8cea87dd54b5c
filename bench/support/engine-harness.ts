import type { FastifyInstance } from 'fastify';
import { buildServer, type HttpEdgeOptions } from '../../src/api/server.ts';
import type { HealthReport } from '../../src/api/routes/health.ts';
import { Engine } from '../../src/app/engine.ts';
import { createLogger } from '../../src/app/logger.ts';
import { createMetrics } from '../../src/app/metrics.ts';
import { SpillLog } from '../../src/app/spill-log.ts';
import { AriConnection } from '../../src/ari/client.ts';
import type { Config } from '../../src/config/schema.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import { cacheListings, DEFAULT_LISTING_CACHE } from '../../src/store/listing-cache.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { Store } from '../../src/store/types.ts';
import { IdempotencyKeys } from '../../src/api/idempotency.ts';
import type { Logger } from '../../src/app/logger.ts';
import { startFlow, step } from '../../src/routing/flow/machine.ts';
import type { FlowState } from '../../src/routing/flow/state.ts';
import { FlowRuntime } from '../../src/routing/runtime/flow-runtime.ts';
import { defaultConfig } from './benchmark.ts';

// The engine wired as the composition root (src/app/compose.ts) wires it for one ARI server: the real
// AriConnection → Engine → Store, and optionally the real HTTP API listening on 127.0.0.1. Built here
// rather than through createApp() so a benchmark can hand in a measuring or throttled store.

export interface EngineHarnessOptions {
  store: Store;
  /** Base URL of the (fake) Asterisk; without it the engine has no event source (API-only runs). */
  ariUrl?: string;
  serverName?: string;
  ingest?: Partial<Config['ingest']>;
  /** Listen with the HTTP API on 127.0.0.1 (random port). */
  http?: boolean;
  /** Sees every frame as it arrives, before the engine does (latency probes). Must be cheap. */
  tap?: (text: string, receivedAt: Date) => void;
  /** `http.listingCacheMs` (the configured default unless given; 0 turns the listing cache off). */
  listingCacheMs?: number;
  /** API keys the server requires (none by default: the API is open, as on a keyless engine). */
  apiKeys?: string[];
  /** The HTTP edge's limits (throttling, body size, timeouts); their configured defaults unless given. */
  httpEdge?: Partial<HttpEdgeOptions>;
  /**
   * A folder for the spill log, as the composition root gives the engine (events past the buffer wait on
   * disk, the source is never paused). Without it the engine pauses its source instead.
   */
  spillDir?: string;
}

export interface EngineHarness {
  engine: Engine;
  connection: AriConnection | null;
  /** `http://127.0.0.1:PORT` when `http` was asked for. */
  baseUrl: string | null;
  /**
   * Settles once the engine has connected to Asterisk and reconciled with what it reports alive. Traffic
   * streamed before would race that listing: the fake Asterisk does not list the channels it streams, so
   * legs opened meanwhile would be taken for gone.
   */
  synced: Promise<void>;
  stop(): Promise<void>;
}

export async function startEngine(options: EngineHarnessOptions): Promise<EngineHarness> {
  const config = defaultConfig();
  const logger = createLogger('error', process.stderr);
  const metrics = createMetrics();
  const serverName = options.serverName ?? 'pbx1';
  const store = cacheListings(options.store, {
    maxAgeMs: options.listingCacheMs ?? config.http.listingCacheMs,
    maxBytes: DEFAULT_LISTING_CACHE.maxBytes,
    onLookup: (answer) => metrics.listingLookups.inc({ answer }),
  });
  const engine = new Engine({
    store,
    logger,
    metrics,
    policy: directionPolicy(config.direction),
    ingest: { ...config.ingest, ...options.ingest },
    ...(options.spillDir === undefined ? {} : { spillLog: new SpillLog({ dir: options.spillDir, maxBytes: config.ingest.spillMaxBytes }) }),
  });
  let markSynced = (): void => {};
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  const connection = options.ariUrl === undefined ? null : connect(engine, options.ariUrl, serverName, options.tap, logger, markSynced);
  if (connection === null) markSynced();

  let server: FastifyInstance | null = null;
  let baseUrl: string | null = null;
  if (options.http) {
    const health = async (): Promise<HealthReport> => {
      const started = performance.now();
      await store.ping();
      return {
        status: 'ok',
        checks: {
          database: { ok: true, kind: options.store.kind, latencyMs: performance.now() - started },
          ari: [],
          simulator: null,
          ingest: { pending: engine.ingestor.pendingCount, paused: engine.ingestor.isPaused, lastError: engine.ingestor.lastError, quarantined: engine.quarantinedRows, spill: null },
          crm: null,
        },
      };
    };
    // Wrappers made by spreading a SqlStore (store-wrappers.ts) keep its SqlClient.
    const sql = (options.store as Partial<SqlStore>).sql;
    if (!sql) throw new Error('startEngine({ http: true }) needs a store with its SqlClient (a SqlStore)');
    server = await buildServer({
      engine,
      store,
      metrics,
      logger,
      apiKeys: options.apiKeys ?? [],
      http: options.httpEdge,
      health,
      defaultServer: serverName,
      idempotency: new IdempotencyKeys(sql),
    });
    baseUrl = (await server.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  }
  await engine.start();
  return {
    engine,
    connection,
    baseUrl,
    synced,
    async stop() {
      await server?.close();
      await engine.stop();
    },
  };
}

function connect(engine: Engine, ariUrl: string, serverName: string, tap: EngineHarnessOptions['tap'], logger: Logger, onSynced: () => void): AriConnection {
  // Every frame also passes the routing runtime, as in `callflow start` (no number is routed here: it only
  // looks at each frame's type and lets it go).
  let flows: FlowRuntime<FlowState> | null = null;
  const connection: AriConnection = new AriConnection(
    { name: serverName, url: ariUrl, username: 'test', password: 'test', app: 'callflow', subscribeAll: true },
    {
      onEvent: tap
        ? (bytes, receivedAt) => {
            tap(bytes.toString('utf8'), receivedAt);
            engine.acceptBytes(bytes, receivedAt, serverName);
            flows?.onFrame(bytes);
          }
        : (bytes, receivedAt) => {
            engine.acceptBytes(bytes, receivedAt, serverName);
            flows?.onFrame(bytes);
          },
      onConnected: () =>
        engine
          .resync(serverName, async () => ({ channels: await connection.rest.listChannels(), bridges: await connection.rest.listBridges() }))
          .then(onSynced),
    },
    { logger },
  );
  flows = new FlowRuntime<FlowState>({
    server: serverName,
    app: 'callflow',
    machine: { start: startFlow, step },
    ari: connection.rest,
    routing: { snapshotFor: async () => null, advanceRoundRobin: async () => undefined, voicemailLeft: async () => undefined, callRecorded: async () => undefined },
    media: { mediaOf: async () => 'sound:beep' },
    checkPin: () => false,
    onStep: () => undefined,
    logger,
  });
  engine.addConnection(connection, {
    name: serverName,
    kind: 'ari',
    start: () => connection.start(),
    stop: () => connection.stop(),
    pause: () => connection.pause(),
    resume: () => connection.resume(),
  });
  return connection;
}
