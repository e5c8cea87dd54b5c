import type { FastifyInstance } from 'fastify';
import { Engine } from '../../src/app/engine.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { createMetrics } from '../../src/app/metrics.ts';
import { DEFAULT_DIRECTION_RULES } from '../../src/app/replay.ts';
import { buildServer } from '../../src/api/server.ts';
import type { HealthReport } from '../../src/api/routes/health.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import { openTestStore, type StoreKind, type TestStore } from './test-store.ts';

// The engine and its HTTP API on a real test store, without listening (requests go through inject()).

export interface TestApp {
  engine: Engine;
  server: FastifyInstance;
  db: TestStore;
  close(): Promise<void>;
}

export async function openTestApp(kind: StoreKind, options: { apiKeys?: string[] } = {}): Promise<TestApp> {
  const db = await openTestStore(kind);
  const logger = silentLogger();
  const metrics = createMetrics();
  const engine = new Engine({
    store: db.store,
    logger,
    metrics,
    policy: directionPolicy(DEFAULT_DIRECTION_RULES),
    ingest: { batchSize: 2000, flushIntervalMs: 10, maxBufferedEvents: 50_000 },
  });
  const health = async (): Promise<HealthReport> => {
    await db.store.ping();
    return {
      status: 'ok',
      checks: {
        database: { ok: true, kind: db.store.kind, latencyMs: 0 },
        ari: [],
        simulator: null,
        ingest: { pending: engine.ingestor.pendingCount, paused: false, lastError: null },
        crm: null,
      },
    };
  };
  const server = await buildServer({ engine, store: db.store, metrics, logger, apiKeys: options.apiKeys ?? [], health, defaultServer: 'default' });
  await engine.start();
  return {
    engine,
    server,
    db,
    async close() {
      await server.close();
      await engine.stop();
      await db.close();
    },
  };
}
