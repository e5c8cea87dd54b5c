import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCallflow, waitFor, type Running } from '../support/processes.ts';

// `callflow start` as a user runs it: with nothing configured it serves this machine only and says so;
// a network address without API keys is refused at start unless the insecure setting says otherwise.

/** An address of this machine that other machines could reach, if it has one. */
function networkAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function stop(r: Running): Promise<void> {
  r.child.kill('SIGTERM');
  await r.exited;
}

describe('where the engine listens', () => {
  const running: Running[] = [];
  afterAll(() => Promise.all(running.map(stop)));

  it('with nothing configured, listens on 127.0.0.1 only and says so', async () => {
    const port = await freePort();
    const r = runCallflow(['start', '--port', String(port)], { CALLFLOW_DATA_DIR: 'memory://', SIMULATOR_CALLS_PER_SECOND: '1' });
    running.push(r);
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/`)).ok ? true : undefined), 60_000);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect(r.output()).toContain('no API keys configured: listening on 127.0.0.1 only');
    const other = networkAddress();
    if (other) expect(await reachable(other, port)).toBe(false);
  }, 90_000);

  it('refuses to start on a network address without API keys, naming the setting that would allow it', async () => {
    const r = runCallflow(['start', '--port', String(await freePort())], { CALLFLOW_DATA_DIR: 'memory://', HOST: '0.0.0.0' });
    running.push(r);
    expect(await r.exited).toBe(1);
    expect(r.output()).toContain('CF_CONFIG_INVALID');
    expect(r.output()).toContain('CALLFLOW_INSECURE_NO_AUTH');
  }, 60_000);

  it('starts on a network address without keys only with CALLFLOW_INSECURE_NO_AUTH, and warns', async () => {
    const port = await freePort();
    const r = runCallflow(['start', '--port', String(port)], {
      CALLFLOW_DATA_DIR: 'memory://',
      SIMULATOR: 'off',
      HOST: '0.0.0.0',
      CALLFLOW_INSECURE_NO_AUTH: 'true',
    });
    running.push(r);
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/health`)).ok ? true : undefined), 60_000);
    expect(r.output()).toMatch(/"level":40[^\n]*INSECURE: no API keys and listening on 0\.0\.0\.0/);
  }, 90_000);
});
