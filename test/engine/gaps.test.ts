import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { until } from '../support/app-against-asterisk.ts';
import { FakeAsterisk } from '../support/fake-asterisk.ts';
import { traceEvents } from '../support/fixtures.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/test-store.ts';

// Every window in which the engine could not see a server's events is recorded: its socket down, and the time
// the engine itself was not running (from the previous run's last stored batch to the next connection).

describe('gaps in what the engine saw', () => {
  const pbx = new FakeAsterisk({ username: 'u', password: 'gap-secret' });
  let dataDir: string;
  let db: TestDatabase | null = null;
  let url: string;

  beforeAll(async () => {
    url = (await pbx.start()).url;
    dataDir = mkdtempSync(join(tmpdir(), 'callflow-gaps-'));
    db = postgresUrl ? await createPostgresDatabase() : null;
  });
  afterAll(async () => {
    await pbx.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<App> {
    const config = loadConfig({
      env: {
        ARI_SERVERS: JSON.stringify([{ name: 'pbx', url, username: 'u', password: 'gap-secret' }]),
        CALLFLOW_DATA_DIR: dataDir,
        ...(db ? { DATABASE_URL: db.url } : {}),
      },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    const app = await createApp(config, silentLogger());
    await app.start();
    return app;
  }

  const gaps = async (app: App) => (await app.server.inject({ method: 'GET', url: '/api/gaps?server=pbx' })).json().items as any[];

  it('records a dropped socket, and the time the engine was stopped', async () => {
    const first = await start();
    await pbx.waitForConnection(1);
    pbx.send(traceEvents('d1_dial_busy'));
    await until(async () => (await first.store.getCall('1795234271.10'))?.status === 'finished', 20_000, 'the call');

    const before = Date.now();
    pbx.dropConnections();
    await until(async () => (await gaps(first)).length === 1, 20_000, 'the gap of the dropped socket');
    const [dropped] = await gaps(first);
    expect(dropped).toMatchObject({ server: 'pbx', reason: 'disconnected' });
    expect(Date.parse(dropped.from)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(dropped.to)).toBeGreaterThanOrEqual(Date.parse(dropped.from));
    expect((await first.server.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^callflow_ari_gaps_total\{server="pbx"\} 1$/m);
    await first.stop();

    const stoppedAt = Date.now();
    const second = await start();
    await until(async () => (await gaps(second)).some((g) => g.reason === 'engine_down'), 20_000, 'the gap of the stopped engine');
    const down = (await gaps(second)).find((g) => g.reason === 'engine_down');
    expect(Date.parse(down.from)).toBeLessThanOrEqual(stoppedAt);
    expect(Date.parse(down.to)).toBeGreaterThanOrEqual(stoppedAt);
    await second.stop();
  }, 90_000);
});
