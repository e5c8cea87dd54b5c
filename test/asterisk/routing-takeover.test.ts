import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDriver, DRIVER_APP, type AriChannel, type AriDriver } from './support/ari-driver.ts';
import { startAsterisk, type AsteriskInstance } from './support/asterisk-instance.ts';
import { asteriskSkipReason, skipNote } from './support/e2e-env.ts';
import { startEngine, type EngineUnderTest } from './support/engine-app.ts';
import { until } from './support/wait.ts';

// The engine restarts while a routed caller is in an IVR menu: the new engine takes the call over (it starts the
// flow again from the number: the caller hears the menu again, and its keys work), rather than leaving the
// caller in silence in the application.

describe.skipIf(asteriskSkipReason !== null)(`real Asterisk, a routed call across an engine restart${skipNote}`, () => {
  let asterisk: AsteriskInstance;
  let driver: AriDriver;
  let engine: EngineUnderTest | null = null;
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-takeover-'));

  beforeAll(async () => {
    asterisk = await startAsterisk({ linkedidChannelvar: true });
    driver = await connectDriver(asterisk.ariUrl, asterisk.ariUser, asterisk.ariPassword);
  }, 150_000);

  afterAll(async () => {
    await driver?.close().catch(() => undefined);
    await engine?.stop().catch(() => undefined);
    await asterisk?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 150_000);

  async function api(method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown): Promise<{ id: string }> {
    const res = await engine!.app.server.inject({ method, url, headers: { 'x-tenant-id': 'default' }, ...(payload === undefined ? {} : { payload: payload as object }) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
    return res.json() as { id: string };
  }

  it('restarts the flow of a caller left in the menu, and the caller goes on from there', async () => {
    engine = await startEngine(asterisk, { dataDir });
    await api('POST', '/api/tenants/default/numbers', { number: '5552000' });
    const box = await api('POST', '/api/routing/voicemail-boxes', { number: '901', name: 'Night', maxMessageS: 30 });
    const menu = await api('POST', '/api/routing/ivr-menus', { name: 'Night menu', prompt: { kind: 'text', text: 'Press 9 to leave a message.' }, options: { '9': { type: 'voicemail', id: box.id } }, timeoutS: 30, failover: { type: 'hangup' } });
    await api('PUT', '/api/routing/numbers/5552000', { destination: { type: 'ivr', id: menu.id }, record: false });

    const since = driver.eventCount();
    const caller = await driver.request<AriChannel>('POST', '/channels', { endpoint: 'Local/5552000@routed-in', app: DRIVER_APP, callerId: '5550199' });
    const routedName = caller.name.replace(/;1$/, ';2');
    const routed = (await driver.waitEvent((e) => e.type === 'ChannelCreated' && e.channel?.name === routedName, 20_000, 'the routed half', since)).channel!.id;
    const onRouted = (type: string) => (e: { type: string; playback?: unknown }) => e.type === type && (e.playback as { target_uri?: string } | undefined)?.target_uri === `channel:${routed}`;
    await driver.waitEvent(onRouted('PlaybackFinished'), 30_000, 'the menu played once', since);

    // The engine goes away while the caller waits for a key, and comes back on the same database.
    await engine.stop();
    engine = null;
    const beforeRestart = driver.eventCount();
    engine = await startEngine(asterisk, { dataDir });
    await driver.waitEvent(onRouted('PlaybackStarted'), 30_000, 'the menu played again by the new engine', beforeRestart);
    await driver.request('POST', `/channels/${caller.id}/dtmf`, { dtmf: '9' });
    await driver.waitEvent((e) => e.type === 'RecordingStarted' && (e.recording as { target_uri?: string }).target_uri === `channel:${routed}`, 30_000, 'the caller in the voicemail box', beforeRestart);
    await driver.request('DELETE', `/channels/${caller.id}`);

    // The call's timeline shows the path before and after the restart.
    const running = engine;
    let texts: string[] = [];
    await until(async () => {
      const id = (await running.callIdsOf([routed])).get(routed);
      if (!id) return false;
      const res = await running.app.server.inject({ method: 'GET', url: `/api/calls/${encodeURIComponent(id)}` });
      texts = (res.json() as { timeline: { kind: string; text: string }[] }).timeline.filter((t) => t.kind === 'routing').map((t) => t.text);
      return texts.includes('IVR Night menu: pressed 9');
    }, 30_000, 'the routing path after the restart');
    expect(texts.filter((t) => t === 'number 5552000 → IVR Night menu')).toHaveLength(2);
  }, 150_000);
});
