import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeAsterisk } from '../support/fake-asterisk.ts';

// The fake must behave like Asterisk where the engine depends on it, or tests against it prove nothing.

let fake: FakeAsterisk;
let base: string;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  fake = new FakeAsterisk({ username: 'u', password: 'p', emitChannelEvents: true });
  base = (await fake.start()).url.replace('http:', 'ws:');
});

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await fake.stop();
});

function openSocket(query: string): Promise<WebSocket> {
  const ws = new WebSocket(`${base}/ari/events?${query}`);
  sockets.push(ws);
  return once(ws, 'open').then(() => ws);
}

function rejection(path: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(`${base}${path}`);
  sockets.push(ws);
  return new Promise((resolve) => {
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

async function rest(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base.replace('ws:', 'http:')}${path}`, { method, headers: { authorization: `Basic ${btoa('u:p')}` } });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

describe('FakeAsterisk', () => {
  it('accepts api_key credentials and records the app and subscribeAll', async () => {
    await openSocket('app=callflow&api_key=u:p');
    expect(fake.connections[0]).toMatchObject({ app: 'callflow', subscribeAll: false, auth: 'api_key' });
    expect(fake.requests[0]).toMatchObject({ path: '/ari/events', query: { app: 'callflow' }, status: 101 });
  });

  it.each([
    ['/ari/events?app=callflow&api_key=u:wrong', 401, 'Authentication required'],
    ['/ari/events?api_key=u:p', 400, 'Missing parameter app'],
    ['/ari/nothing?app=callflow&api_key=u:p', 404, 'Not found'],
  ])('rejects the upgrade %s with %i and an Asterisk-style message', async (path, status, message) => {
    expect(await rejection(path)).toEqual({ status, body: JSON.stringify({ message }) });
    expect(fake.connectionCount).toBe(0);
  });

  it('answers unknown REST paths with 404 and {"message"} like Asterisk', async () => {
    expect(await rest('GET', '/ari/nonsense')).toEqual({ status: 404, body: { message: 'Resource not found' } });
    expect(await rest('POST', '/ari/channels/nope/answer')).toEqual({ status: 404, body: { message: 'Channel not found' } });
  });

  it('emits channel events for REST actions to connected sockets, in order', async () => {
    const ws = await openSocket('app=callflow&api_key=u:p&subscribeAll=true');
    const types: string[] = [];
    ws.on('message', (data: Buffer) => types.push((JSON.parse(data.toString()) as { type: string }).type));
    const created = await rest('POST', '/ari/channels?endpoint=PJSIP/sipp&app=callflow');
    const id = (created.body as { id: string }).id;
    await rest('POST', `/ari/channels/${id}/answer`);
    await rest('DELETE', `/ari/channels/${id}`);
    await expect.poll(() => types).toEqual(['ChannelCreated', 'ChannelStateChange', 'ChannelHangupRequest', 'ChannelDestroyed']);
    expect(fake.channels.size).toBe(0);
  });

  it('refuses connections while asked to and accepts them again afterwards', async () => {
    fake.refuseConnections(true);
    const ws = new WebSocket(`${base}/ari/events?app=callflow&api_key=u:p`);
    sockets.push(ws);
    const error = await new Promise<Error>((resolve) => ws.on('error', resolve));
    expect(error.message).toBe('socket hang up');
    expect(fake.requests.at(-1)?.status).toBe(0);
    fake.refuseConnections(false);
    await openSocket('app=callflow&api_key=u:p');
    await fake.waitForConnection(1);
  });
});
