import { Engine, type EngineDeps } from '../../src/app/engine.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { createMetrics, type EngineMetrics } from '../../src/app/metrics.ts';
import { DEFAULT_DIRECTION_RULES } from '../../src/app/replay.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import type { Store } from '../../src/store/types.ts';

// An engine on a given store, without HTTP or sources, as the composition root would build it, with what a
// test needs to vary (spool, spill log, stop deadline, ingest sizes).

export type EngineExtras = Partial<Omit<EngineDeps, 'store' | 'logger' | 'metrics' | 'policy'>>;

export function engineOn(store: Store, extras: EngineExtras = {}): { engine: Engine; metrics: EngineMetrics } {
  const metrics = createMetrics();
  const engine = new Engine({
    store,
    logger: silentLogger(),
    metrics,
    policy: directionPolicy(DEFAULT_DIRECTION_RULES),
    ingest: { batchSize: 2000, flushIntervalMs: 10, maxBufferedEvents: 50_000 },
    ...extras,
  });
  return { engine, metrics };
}
