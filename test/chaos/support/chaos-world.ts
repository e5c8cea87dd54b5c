import pg from 'pg';
import { connectDriver, type AriDriver } from '../../asterisk/support/ari-driver.ts';
import { startAsterisk, type AsteriskInstance } from '../../asterisk/support/asterisk-instance.ts';
import { AsteriskRecords, type RecordMark } from '../../asterisk/support/asterisk-records.ts';
import { SERVER_NAME, startEngine } from '../../asterisk/support/engine-app.ts';
import { settleScenario, type ScenarioOptions, type ScenarioResult } from '../../asterisk/support/settle.ts';
import { stopAllSipp } from '../../asterisk/support/sipp.ts';
import type { App } from '../../../src/app/compose.ts';
import type { CallRecord } from '../../../src/domain/call.ts';
import type { IngestGap } from '../../../src/store/types.ts';
import { PrivatePostgres } from '../../support/private-postgres.ts';

// A fault test's world: a private Asterisk (channelvars on), a private PostgreSQL the test may stop, kill or
// freeze, the engine as `callflow start` builds it on that database (with its spill log, and a small ingest
// buffer so that a burst spills), and the test's own ARI socket, which sees every event Asterisk sends.

/** Small, so that an outage during a burst of a few hundred calls sends events to the spill log. */
const INGEST_BUFFER = 200;

export interface ChaosWorld {
  asterisk: AsteriskInstance;
  postgres: PrivatePostgres;
  app: App;
  driver: AriDriver;
  sipTarget: string;
  /** Waits until Asterisk and the engine are done with everything since the world began, and compares them. */
  settle(options: ScenarioOptions): Promise<ScenarioResult>;
  /** Channel events the test's socket received that the engine did not store (empty when none is lost). */
  missingEvents(): Promise<string[]>;
  /** Every call the engine holds in its database (up to 500). */
  engineCalls(): Promise<CallRecord[]>;
  /** Gaps the engine recorded (windows it could not see). */
  gaps(): Promise<IngestGap[]>;
  stop(): Promise<void>;
}

/** What identifies one event Asterisk sent: its type, the object it is about and its timestamp. */
function eventKey(e: Record<string, unknown>): string | null {
  const about = (e.channel ?? e.peer ?? e.bridge) as { id?: unknown } | undefined;
  if (typeof about?.id !== 'string' || typeof e.timestamp !== 'string') return null;
  return `${String(e.type)} ${about.id} ${e.timestamp}`;
}

export async function startChaosWorld(): Promise<ChaosWorld> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    stopAllSipp();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const postgres = await PrivatePostgres.create();
    cleanups.push(() => postgres.destroy());
    const asterisk = await startAsterisk({ linkedidChannelvar: true });
    cleanups.push(() => asterisk.stop());
    const engine = await startEngine(asterisk, { databaseUrl: postgres.url(), ingest: { maxBufferedEvents: INGEST_BUFFER } });
    cleanups.push(() => engine.stop());
    const { app } = engine;
    const driver = await connectDriver(asterisk.ariUrl, asterisk.ariUser, asterisk.ariPassword);
    cleanups.push(() => driver.close());
    const records = new AsteriskRecords(asterisk.celPath, asterisk.cdrPath);
    const mark: RecordMark = records.mark();
    const firstEvent = driver.eventCount();

    const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
      const client = new pg.Client({ connectionString: postgres.url() });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    };

    return {
      asterisk,
      postgres,
      app,
      driver,
      sipTarget: `127.0.0.1:${asterisk.sipPort}`,
      settle: (options) =>
        settleScenario({
          records,
          mark,
          driver,
          engine,
          asterisk,
          ...options,
        }),
      async missingEvents() {
        const stored = new Map<string, number>();
        const rows = await query<{ payload: Record<string, unknown> | string }>('SELECT payload FROM events WHERE server = $1', [SERVER_NAME]);
        for (const row of rows) {
          const key = eventKey(typeof row.payload === 'string' ? (JSON.parse(row.payload) as Record<string, unknown>) : row.payload);
          if (key) stored.set(key, (stored.get(key) ?? 0) + 1);
        }
        const missing: string[] = [];
        for (const event of driver.events(firstEvent)) {
          const key = eventKey(event);
          if (key === null) continue;
          const left = stored.get(key) ?? 0;
          if (left === 0) missing.push(key);
          else stored.set(key, left - 1);
        }
        return missing;
      },
      async engineCalls() {
        return (await app.store.listCalls({ server: SERVER_NAME }, null, 500)).items;
      },
      async gaps() {
        const rows = await app.store.listGaps(null, null, 100);
        return rows.map(({ server, from, to, reason }) => ({ server, from, to, reason }));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
