import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { FakeAsterisk } from './fake-asterisk.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from './test-store.ts';

// The whole engine as the composition root builds it, connected to loopback fake Asterisk servers, on a fresh
// PostgreSQL database when one is configured for tests (else the embedded one in memory).

export interface FakeServer {
  name: string;
  fake: FakeAsterisk;
  username: string;
  password: string;
  subscribeAll?: boolean;
}

export interface AppAgainstAsterisk {
  app: App;
  stop(): Promise<void>;
}

export async function startAppAgainst(servers: readonly FakeServer[], env: Record<string, string> = {}): Promise<AppAgainstAsterisk> {
  const ari = [];
  for (const s of servers) {
    const { url } = await s.fake.start();
    ari.push({ name: s.name, url, username: s.username, password: s.password, ...(s.subscribeAll === undefined ? {} : { subscribeAll: s.subscribeAll }) });
  }
  const db: TestDatabase | null = postgresUrl ? await createPostgresDatabase() : null;
  const config = loadConfig({
    env: { ARI_SERVERS: JSON.stringify(ari), CALLFLOW_DATA_DIR: 'memory://', ...(db ? { DATABASE_URL: db.url } : {}), ...env },
    flags: { http: { host: '127.0.0.1', port: 0 } },
  });
  const app = await createApp(config, silentLogger());
  await app.start();
  for (const s of servers) await s.fake.waitForConnection(1);
  return {
    app,
    async stop() {
      await app.stop();
      for (const s of servers) await s.fake.stop();
      await db?.drop();
    },
  };
}

/** Waits for `check` to hold, polling; fails naming `what` after `timeoutMs` (a bound, not a speed). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
