import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AriRest } from '../../src/ari/rest.ts';
import type { AriChannel } from '../../src/ari/types.ts';
import { AppError, ERROR_CODES } from '../../src/errors.ts';
import { FakeAsterisk } from '../support/fake-asterisk.ts';

const PASSWORD = 's3cret-pass';

/** A channel object exactly as the recorded f_ari_bridge trace's originate reply carries it. */
function recordedChannel(): AriChannel {
  const line = readFileSync(new URL('../fixtures/ari/f_ari_bridge.actions.jsonl', import.meta.url), 'utf8').split('\n')[1]!;
  return (JSON.parse(line) as { body: AriChannel }).body;
}

let fake: FakeAsterisk;
let rest: AriRest;
let url: string;

beforeEach(async () => {
  fake = new FakeAsterisk({ username: 'engine', password: PASSWORD });
  ({ url } = await fake.start());
  rest = new AriRest({ serverName: 'pbx1', restUrl: `${url}/ari`, username: 'engine', password: PASSWORD, requestTimeoutMs: 2_000 });
});

afterEach(async () => {
  await rest.close();
  await fake.stop();
});

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('AriRest against a loopback ARI server', () => {
  it('lists live channels and bridges and reads the server info, with Basic auth', async () => {
    const channel = recordedChannel();
    fake.setLiveChannels([channel]);
    expect(await rest.listChannels()).toEqual([channel]);
    expect(await rest.listBridges()).toEqual([]);
    const info = await rest.getInfo();
    expect(info.system?.version).toBe('22.10.1');
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /ari/channels 200',
      'GET /ari/bridges 200',
      'GET /ari/asterisk/info 200',
    ]);
  });

  it('reads one channel, null when Asterisk has none by that id, and throws when Asterisk cannot answer', async () => {
    const channel = recordedChannel();
    fake.setLiveChannels([channel]);
    expect(await rest.getChannel(channel.id)).toEqual(channel);
    expect(await rest.getChannel('no-such.1')).toBeNull();
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`GET /ari/channels/${channel.id} 200`, 'GET /ari/channels/no-such.1 404']);
    fake.refuseConnections(true);
    const error = await failureOf(rest.getChannel(channel.id));
    expect(error.code).toBe(ERROR_CODES.ARI_REQUEST_FAILED);
  });

  it('originates with query parameters and variables in the body, then answers, rings and hangs up', async () => {
    const created = await rest.originate({
      endpoint: 'Local/100@from-test',
      context: 'caller-side',
      extension: 'hold',
      priority: 1,
      timeoutSeconds: 30,
      callerId: '"Ivy Caller" <5559000>',
      variables: { CALLFLOW_TAG: 'outbound' },
      channelId: 'chan-1',
    });
    expect(created).toMatchObject({ id: 'chan-1', state: 'Down', caller: { name: 'Ivy Caller', number: '5559000' } });
    expect(created.name).toMatch(/^Local\/100@from-test-[0-9a-f]{8};1$/);
    const originate = fake.requests.at(-1)!;
    expect(originate.query).toEqual({
      endpoint: 'Local/100@from-test',
      context: 'caller-side',
      extension: 'hold',
      priority: '1',
      timeout: '30',
      callerId: '"Ivy Caller" <5559000>',
      channelId: 'chan-1',
    });
    expect(originate.body).toEqual({ variables: { CALLFLOW_TAG: 'outbound' } });
    expect(fake.variables.get('chan-1')?.get('CALLFLOW_TAG')).toBe('outbound');

    await rest.answer('chan-1');
    expect(fake.channels.get('chan-1')?.state).toBe('Up');
    await rest.ring('chan-1');
    expect(fake.channels.get('chan-1')?.state).toBe('Ringing');
    await rest.setVariable('chan-1', 'CDR(userfield)', 'tracked');
    expect(fake.variables.get('chan-1')?.get('CDR(userfield)')).toBe('tracked');
    expect((await rest.listChannels()).map((c) => c.id)).toEqual(['chan-1']);

    await rest.hangup('chan-1', 'normal');
    expect(fake.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/ari/channels/chan-1', query: { reason: 'normal' }, status: 204 });
    expect(await rest.listChannels()).toEqual([]);
  });

  it('creates and dials a channel, bridges it, and subscribes the app to it', async () => {
    const inbound = await rest.originate({ endpoint: 'PJSIP/sipp', app: 'callflow', appArgs: 'inbound' });
    const leg = await rest.createChannel({ endpoint: 'Local/400@from-test', app: 'callflow', appArgs: 'dialed,leg-b', originator: inbound.id });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/ari/channels/create',
      query: { endpoint: 'Local/400@from-test', app: 'callflow', appArgs: 'dialed,leg-b', originator: inbound.id },
    });
    await rest.dial(leg.id, { caller: inbound.id, timeoutSeconds: 20 });
    expect(fake.requests.at(-1)).toMatchObject({ path: `/ari/channels/${leg.id}/dial`, query: { caller: inbound.id, timeout: '20' }, status: 204 });

    const bridge = await rest.createBridge('mixing', 'callflow-bridge');
    expect(bridge).toMatchObject({ bridge_type: 'mixing', name: 'callflow-bridge', channels: [] });
    await rest.addChannel(bridge.id, inbound.id);
    await rest.addChannel(bridge.id, leg.id);
    expect((await rest.listBridges())[0]?.channels).toEqual([inbound.id, leg.id]);

    // The fake only knows an app once a socket registered it, as Asterisk does.
    const missing = await failureOf(rest.subscribe('callflow', `channel:${leg.id}`));
    expect(missing.details).toMatchObject({ status: 404, ariMessage: 'Application not found' });
  });

  it('maps an ARI 404 to AppError ARI_REQUEST_FAILED with the status and Asterisk message, without query or password', async () => {
    const error = await failureOf(rest.hangup('no-such-channel', 'busy'));
    expect(error.code).toBe(ERROR_CODES.ARI_REQUEST_FAILED);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('ARI DELETE /ari/channels/no-such-channel on server "pbx1" failed: 404 Channel not found');
    expect(error.details).toEqual({ server: 'pbx1', method: 'DELETE', path: '/ari/channels/no-such-channel', status: 404, ariMessage: 'Channel not found' });
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(PASSWORD);

    const badRequest = await failureOf(rest.originate({ endpoint: '' }));
    expect(badRequest.message).toContain('400 Endpoint must be specified');
  });

  it('reports rejected credentials as a 401 without echoing the password', async () => {
    const wrong = new AriRest({ serverName: 'pbx1', restUrl: `${url}/ari`, username: 'engine', password: 'wrong-password' });
    try {
      const error = await failureOf(wrong.listChannels());
      expect(error.message).toBe('ARI GET /ari/channels on server "pbx1" failed: 401 Authentication required');
      expect(error.message).not.toContain('wrong-password');
    } finally {
      await wrong.close();
    }
  });

  it('marks an unreachable server as a retryable failure', async () => {
    await fake.stop();
    const error = await failureOf(rest.listChannels());
    expect(error.code).toBe(ERROR_CODES.ARI_REQUEST_FAILED);
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^ARI GET \/ari\/channels on server "pbx1" failed: .*ECONNREFUSED/);
    fake = new FakeAsterisk();
    await fake.start();
  });

  it('gives up on a request after its timeout', async () => {
    // A server that accepts the TCP connection but never replies.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const hung = new AriRest({ serverName: 'pbx1', restUrl: `http://127.0.0.1:${port}/ari`, username: 'u', password: 'p', requestTimeoutMs: 150 });
    try {
      const error = await failureOf(hung.listChannels());
      expect(error.message).toBe('ARI GET /ari/channels on server "pbx1" failed: timed out after 150 ms');
      expect(error.retryable).toBe(true);
    } finally {
      await hung.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
