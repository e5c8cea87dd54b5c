import { createApp, type App } from '../../../src/app/compose.ts';
import { createWriteStream } from 'node:fs';
import { createLogger, silentLogger } from '../../../src/app/logger.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { CallRecord } from '../../../src/domain/call.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../../support/test-store.ts';
import type { AsteriskInstance } from './asterisk-instance.ts';
import { until } from './wait.ts';

// The engine under test, built by the composition root as `callflow start` builds it: ARI_SERVERS points at
// the private Asterisk, the store is the embedded one in memory, or a fresh PostgreSQL database when tests
// have one (TEST_DATABASE_URL / DATABASE_URL).

export const SERVER_NAME = 'ast';

export interface EngineUnderTest {
  app: App;
  /** The engine's call ids of these channels (channels it has not stored are left out). */
  callIdsOf(channelIds: readonly string[]): Promise<Map<string, string>>;
  getCall(id: string): Promise<CallRecord | null>;
  stop(): Promise<void>;
}

export interface EngineOptions {
  /** A database of the test's own (a fault test's private server); else as described above. */
  databaseUrl?: string;
  /** An embedded database in this folder (kept across engines: a restart), instead of the above. */
  dataDir?: string;
  /** Ingest settings other than the defaults. */
  ingest?: { maxBufferedEvents?: number };
}

export async function startEngine(asterisk: AsteriskInstance, options: EngineOptions = {}): Promise<EngineUnderTest> {
  const db: TestDatabase | null = options.databaseUrl === undefined && options.dataDir === undefined && postgresUrl ? await createPostgresDatabase() : null;
  const databaseUrl = options.databaseUrl ?? db?.url;
  let app: App | null = null;
  try {
    const servers = [{ name: SERVER_NAME, url: asterisk.ariUrl, username: asterisk.ariUser, password: asterisk.ariPassword }];
    const config = loadConfig({
      env: { ARI_SERVERS: JSON.stringify(servers), CALLFLOW_DATA_DIR: options.dataDir ?? 'memory://', ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }) },
      flags: { http: { host: '127.0.0.1', port: 0 }, ...(options.ingest ? { ingest: options.ingest } : {}) },
    });
    // CALLFLOW_TEST_ENGINE_LOG=<file>: the engine's log (info and up) goes there, to read after a failed run.
    const logFile = process.env.CALLFLOW_TEST_ENGINE_LOG;
    app = await createApp(config, logFile ? createLogger('info', createWriteStream(logFile, { flags: 'a' })) : silentLogger());
    await app.start();
    // Stasis(callflow) fails until the engine's events socket is connected: wait for Asterisk to list the app.
    await until(async () => (await asterisk.cli('ari show apps')).includes('callflow'), 30_000, 'the engine to connect to ARI');
  } catch (err) {
    await app?.stop().catch(() => undefined);
    await db?.drop().catch(() => undefined);
    throw err;
  }
  const running = app;
  return {
    app: running,
    callIdsOf: (ids) => running.store.callIdsOfChannels(SERVER_NAME, [...ids]),
    getCall: (id) => running.store.getCall(id),
    async stop() {
      try {
        await running.stop();
      } finally {
        await db?.drop();
      }
    },
  };
}
