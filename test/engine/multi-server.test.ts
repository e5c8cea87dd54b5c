import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { FakeAsterisk } from '../support/fake-asterisk.ts';
import { traceEvents } from '../support/fixtures.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/test-store.ts';

// The composition root with two Asterisk servers: calls from each are kept apart by server name,
// and /health reports each connection, turning 503 when one is down.

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('several Asterisk servers through the composition root', () => {
  const pbx1 = new FakeAsterisk({ username: 'u1', password: 'p1-secret' });
  const pbx2 = new FakeAsterisk({ username: 'u2', password: 'p2-secret' });
  let app: App;
  let db: TestDatabase | null = null;

  beforeAll(async () => {
    const a = await pbx1.start();
    const b = await pbx2.start();
    db = postgresUrl ? await createPostgresDatabase() : null;
    const config = loadConfig({
      env: {
        ARI_SERVERS: JSON.stringify([
          { name: 'pbx1', url: a.url, username: 'u1', password: 'p1-secret' },
          { name: 'pbx2', url: b.url, username: 'u2', password: 'p2-secret' },
        ]),
        CALLFLOW_DATA_DIR: 'memory://',
        ...(db ? { DATABASE_URL: db.url } : {}),
      },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    app = await createApp(config, silentLogger());
    await app.start();
    await pbx1.waitForConnection(1);
    await pbx2.waitForConnection(1);
  });

  afterAll(async () => {
    await app?.stop();
    await pbx1.stop();
    await pbx2.stop();
    await db?.drop();
  });

  it('ingests both servers and files each call under its server', async () => {
    expect(app.simulator).toBeNull();
    pbx1.send(traceEvents('c_dial_answered'));
    pbx2.send(traceEvents('d1_dial_busy'));
    await until(async () => (await app.store.getCall('1795234271.10'))?.status === 'finished' && (await app.store.getCall('1795234265.6'))?.status === 'finished');
    expect((await app.store.getCall('1795234265.6'))?.server).toBe('pbx1');
    expect((await app.store.getCall('1795234271.10'))?.server).toBe('pbx2');
    const res = await app.server.inject({ method: 'GET', url: '/api/calls?server=pbx2' });
    expect(res.json().items.map((c: { id: string }) => c.id)).toEqual(['1795234271.10']);
  });

  it('reports each connection in /health and degrades when one goes down', async () => {
    await until(async () => (await app.server.inject({ method: 'GET', url: '/health' })).statusCode === 200);
    const ok = (await app.server.inject({ method: 'GET', url: '/health' })).json();
    expect(ok.checks.ari.map((a: { name: string; state: string }) => `${a.name}:${a.state}`)).toEqual(['pbx1:connected', 'pbx2:connected']);
    pbx2.refuseConnections(true);
    pbx2.dropConnections();
    await until(async () => (await app.server.inject({ method: 'GET', url: '/health' })).statusCode === 503);
    const degraded = (await app.server.inject({ method: 'GET', url: '/health' })).json();
    expect(degraded.status).toBe('degraded');
    expect(degraded.checks.ari.find((a: { name: string }) => a.name === 'pbx2').state).not.toBe('connected');
    const metrics = (await app.server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('callflow_ari_connected{server="pbx1"} 1');
    expect(metrics).toContain('callflow_ari_connected{server="pbx2"} 0');
    expect(metrics).not.toContain('p2-secret');
  });
});
