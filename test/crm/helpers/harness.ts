import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, afterEach } from 'vitest';
import { silentLogger } from '../../../src/app/logger.ts';
import type { CallRecord } from '../../../src/domain/call.ts';
import { parseCrmConfig, type CrmConfig } from '../../../src/crm/config.ts';
import { createCrm, type Crm, type CrmDeps } from '../../../src/crm/crm-service.ts';
import type { SqlStore } from '../../../src/store/sql-store.ts';
import { openTestStore, type StoreKind, type TestStore } from '../../support/test-store.ts';
import { changesOf } from './calls.ts';

// A migrated store plus the CRM side built from configuration, and a way to feed it calls the way
// the engine does: each snapshot written with its planned deliveries in one batch.

export const TEST_SECRET = 'test-webhook-secret-0123456789';

/** Fast defaults for tests; any of them can be overridden. */
export function testCrmConfig(input: Record<string, unknown>): CrmConfig {
  const outbox = (input.outbox ?? {}) as Record<string, unknown>;
  return parseCrmConfig({
    ...input,
    outbox: {
      settleMs: 30,
      pollIntervalMs: 30,
      baseDelayMs: 50,
      maxDelayMs: 400,
      timeoutMs: 2000,
      leaseMs: 3000,
      breakerFailures: 100,
      breakerHalfOpenMs: 500,
      ...outbox,
    },
  });
}

export interface Harness {
  ts: TestStore;
  store: SqlStore;
  crm: Crm;
  registry: Registry;
  /** Writes every snapshot of each call in turn (the calls interleaved), with their deliveries. */
  feed(...calls: CallRecord[][]): Promise<void>;
  close(): Promise<void>;
}

/** One store per test file (opening PGlite takes seconds); each test starts from empty CRM tables. */
export function sharedStore(kind: StoreKind): () => Promise<TestStore> {
  let opened: Promise<TestStore> | null = null;
  afterAll(async () => {
    if (opened) await (await opened).close();
  });
  return async () => {
    opened ??= openTestStore(kind);
    const ts = await opened;
    await ts.store.sql.query('TRUNCATE outbox, crm_links, crm_tokens');
    return ts;
  };
}

export function openHarness(ts: TestStore, config: CrmConfig, deps: Partial<CrmDeps> = {}): Harness {
  const registry = new Registry();
  const crm = createCrm({ config, sql: ts.store.sql, logger: silentLogger(), registry, bitrixLimitPauseMs: 100, getCall: (id) => ts.store.getCall(id), ...deps });
  return {
    ts,
    store: ts.store,
    crm,
    registry,
    async feed(...calls) {
      const changes = calls.map(changesOf);
      const steps = Math.max(...changes.map((c) => c.length));
      for (let i = 0; i < steps; i++) {
        const now = changes.flatMap((c) => c.slice(i, i + 1));
        await ts.store.writeBatch({ events: [], calls: now.map((c) => c.current), merges: [], outbox: now.flatMap((c) => crm.plan(c)) });
      }
      crm.worker.wake();
    },
    async close() {
      await crm.close(100);
    },
  };
}

/** Registers things to close after each test (last opened, first closed). */
export function closeAfterEach(): <T extends { close(graceMs?: number): Promise<unknown> }>(thing: T) => T {
  const open: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });
  return (thing) => {
    open.push(thing);
    return thing;
  };
}

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export async function outboxCounts(store: SqlStore): Promise<Record<string, number>> {
  const rows = await store.sql.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM outbox GROUP BY status');
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Resolves once nothing is waiting or in flight. */
export async function drained(store: SqlStore, timeoutMs = 20_000): Promise<Record<string, number>> {
  return waitFor(async () => {
    const c = await outboxCounts(store);
    return (c.pending ?? 0) + (c.delivering ?? 0) === 0 ? c : null;
  }, 'the outbox to drain', timeoutMs);
}
