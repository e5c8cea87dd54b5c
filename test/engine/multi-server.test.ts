import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/compose.ts';
import { startAppAgainst, until, type AppAgainstAsterisk } from '../support/app-against-asterisk.ts';
import { FakeAsterisk } from '../support/fake-asterisk.ts';
import { traceEvents } from '../support/fixtures.ts';

// The composition root with two Asterisk servers: calls from each are kept apart by server name,
// and /health reports each connection, turning 503 when one is down.

describe('several Asterisk servers through the composition root', () => {
  const pbx1 = new FakeAsterisk({ username: 'u1', password: 'p1-secret' });
  const pbx2 = new FakeAsterisk({ username: 'u2', password: 'p2-secret' });
  let running: AppAgainstAsterisk;
  let app: App;

  beforeAll(async () => {
    running = await startAppAgainst([
      { name: 'pbx1', fake: pbx1, username: 'u1', password: 'p1-secret' },
      { name: 'pbx2', fake: pbx2, username: 'u2', password: 'p2-secret' },
    ]);
    app = running.app;
  });

  afterAll(async () => running?.stop());

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
