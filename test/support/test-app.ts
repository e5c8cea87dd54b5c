import type { FastifyInstance } from 'fastify';
import { Engine } from '../../src/app/engine.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { createMetrics, type EngineMetrics } from '../../src/app/metrics.ts';
import { DEFAULT_DIRECTION_RULES } from '../../src/app/replay.ts';
import { IdempotencyKeys } from '../../src/api/idempotency.ts';
import { buildServer, type HttpEdgeOptions } from '../../src/api/server.ts';
import type { HealthReport } from '../../src/api/routes/health.ts';
import type { LiveConfig } from '../../src/config/schema.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import { cacheListings, DEFAULT_LISTING_CACHE } from '../../src/store/listing-cache.ts';
import { openTestStore, type StoreKind, type TestStore } from './test-store.ts';

// The engine and its HTTP API on a real test store, without listening (requests go through inject()).

export interface TestApp {
  engine: Engine;
  metrics: EngineMetrics;
  server: FastifyInstance;
  db: TestStore;
  close(): Promise<void>;
}

export interface TestAppOptions {
  apiKeys?: string[];
  listingCacheMs?: number;
  http?: Partial<HttpEdgeOptions>;
  live?: Partial<LiveConfig>;
}

export async function openTestApp(kind: StoreKind, options: TestAppOptions = {}): Promise<TestApp> {
  const db = await openTestStore(kind);
  const logger = silentLogger();
  const metrics = createMetrics();
  // Wired as the composition root wires it: listings are cached between this engine's writes.
  const store = cacheListings(db.store, {
    maxAgeMs: options.listingCacheMs ?? DEFAULT_LISTING_CACHE.maxAgeMs,
    maxBytes: DEFAULT_LISTING_CACHE.maxBytes,
    onLookup: (answer) => metrics.listingLookups.inc({ answer }),
  });
  const engine = new Engine({
    store,
    logger,
    metrics,
    policy: directionPolicy(DEFAULT_DIRECTION_RULES),
    ingest: { batchSize: 2000, flushIntervalMs: 10, maxBufferedEvents: 50_000 },
    live: options.live,
  });
  const health = async (): Promise<HealthReport> => {
    await store.ping();
    return {
      status: 'ok',
      checks: {
        database: { ok: true, kind: db.store.kind, latencyMs: 0 },
        ari: [],
        simulator: null,
        ingest: { pending: engine.ingestor.pendingCount, paused: false, lastError: null, quarantined: engine.quarantinedRows, spill: null },
        crm: null,
      },
    };
  };
  const server = await buildServer({
    engine,
    store,
    metrics,
    logger,
    apiKeys: options.apiKeys ?? [],
    http: options.http,
    live: options.live,
    health,
    defaultServer: 'default',
    idempotency: new IdempotencyKeys(db.store.sql),
  });
  await engine.start();
  return {
    engine,
    metrics,
    server,
    db,
    async close() {
      await server.close();
      await engine.stop();
      await db.close();
    },
  };
}
