import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AriConnection, ariUrls, type AriConnectionOptions, type AriConnectionState } from '../../src/ari/client.ts';
import { silentLogger } from '../../src/app/logger.ts';
import type { AriServerConfig } from '../../src/config/schema.ts';
import { ERROR_CODES } from '../../src/errors.ts';
import { FakeAsterisk, textFrames, type FramedBurst } from '../support/fake-asterisk.ts';

const PASSWORD = 'p4ss-word';
const FAST = { backoff: { minDelayMs: 20, maxDelayMs: 200 }, random: () => 1 } satisfies Partial<AriConnectionOptions>;

/** The raw frames of a recorded call, in arrival order. */
const TRACE = readFileSync(new URL('../fixtures/ari/c_dial_answered.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.stringify((JSON.parse(line) as { event: unknown }).event));

interface Harness {
  conn: AriConnection;
  events: string[];
  times: Date[];
  states: AriConnectionState[];
  resyncs: () => number;
  /** Called after each delivered event with the count so far. */
  afterEvent: ((count: number) => void) | null;
}

let fake: FakeAsterisk;
let baseUrl: string;
const open: AriConnection[] = [];

beforeEach(async () => {
  fake = new FakeAsterisk({ username: 'engine', password: PASSWORD });
  baseUrl = (await fake.start()).url;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((conn) => conn.stop()));
  await fake.stop();
});

function config(overrides: Partial<AriServerConfig> = {}): AriServerConfig {
  return { name: 'pbx1', url: `${baseUrl}/ari/`, username: 'engine', password: PASSWORD, app: 'callflow', subscribeAll: true, ...overrides };
}

function connect(
  overrides: Partial<AriServerConfig> = {},
  options: Partial<AriConnectionOptions> = {},
  onConnected: () => Promise<void> = async () => undefined,
): Harness {
  const events: string[] = [];
  const times: Date[] = [];
  const states: AriConnectionState[] = [];
  let resyncs = 0;
  const conn = new AriConnection(
    config(overrides),
    {
      onEvent: (bytes, receivedAt) => {
        events.push(bytes.toString('utf8'));
        times.push(receivedAt);
        harness.afterEvent?.(events.length);
      },
      onConnected: () => {
        resyncs++;
        return onConnected();
      },
      onStateChange: (state) => states.push(state),
    },
    { logger: silentLogger(), ...FAST, ...options },
  );
  const harness: Harness = { conn, events, times, states, resyncs: () => resyncs, afterEvent: null };
  open.push(conn);
  conn.start();
  return harness;
}

const frames = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => JSON.stringify({ type: 'Test', n: from + i }));
const numbers = (events: string[]): number[] => events.map((text) => (JSON.parse(text) as { n: number }).n);
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ariUrls', () => {
  it.each([
    ['http://pbx:8088', 'http://pbx:8088/ari', 'ws://pbx:8088/ari/events?app=callflow&subscribeAll=true'],
    ['http://pbx:8088/ari', 'http://pbx:8088/ari', 'ws://pbx:8088/ari/events?app=callflow&subscribeAll=true'],
    ['https://pbx.example/asterisk/ari/', 'https://pbx.example/asterisk/ari', 'wss://pbx.example/asterisk/ari/events?app=callflow&subscribeAll=true'],
    ['ws://user:pw@pbx:8088/?x=1', 'http://pbx:8088/ari', 'ws://pbx:8088/ari/events?app=callflow&subscribeAll=true'],
  ])('%s', (url, restUrl, eventsUrl) => {
    expect(ariUrls({ url, app: 'callflow', subscribeAll: true })).toEqual({ restUrl, eventsUrl });
  });

  it('encodes the app and passes subscribeAll=false explicitly', () => {
    expect(ariUrls({ url: 'http://pbx:8088', app: 'call flow&x', subscribeAll: false }).eventsUrl).toBe(
      'ws://pbx:8088/ari/events?app=call+flow%26x&subscribeAll=false',
    );
  });

  it.each(['ftp://pbx', 'not a url'])('rejects %s as a configuration error', (url) => {
    expect(() => ariUrls({ url, app: 'a', subscribeAll: true })).toThrow(expect.objectContaining({ code: ERROR_CODES.CONFIG_INVALID }));
  });
});

describe('AriConnection', () => {
  it('connects with Basic auth, resyncs once and passes every frame unparsed and in order', async () => {
    const h = connect();
    await fake.waitForConnection(1);
    await vi.waitFor(() => expect(h.conn.state).toBe('connected'));
    expect(fake.connections[0]).toMatchObject({ app: 'callflow', subscribeAll: true, auth: 'basic' });
    for (const text of TRACE) fake.sendRaw(text);
    await vi.waitFor(() => expect(h.events).toHaveLength(TRACE.length));
    expect(h.events).toEqual(TRACE);
    expect(h.times.every((t, i) => t instanceof Date && (i === 0 || t >= h.times[i - 1]!))).toBe(true);
    expect(h.resyncs()).toBe(1);
    expect(h.states).toEqual(['connecting', 'connected']);
    expect(h.conn.connectedSince).toBeInstanceOf(Date);
    expect(h.conn.reconnects).toBe(0);
    expect(h.conn.lastError).toBeNull();

    // The REST client shares the server config; a subscription needs the app registered by this socket.
    const channel = await h.conn.rest.originate({ endpoint: 'PJSIP/sipp', app: 'callflow' });
    const app = await h.conn.rest.subscribe('callflow', `channel:${channel.id}`);
    expect(app.channel_ids).toEqual(['__AST_CHANNEL_ALL_TOPIC', channel.id]);
  });

  it('sends subscribeAll=false when configured', async () => {
    connect({ subscribeAll: false, url: baseUrl });
    await fake.waitForConnection(1);
    expect(fake.connections[0]?.subscribeAll).toBe(false);
  });

  it('keeps delivering events while onConnected (the resync) is still running', async () => {
    let finishResync!: () => void;
    const h = connect({}, {}, () => new Promise<void>((resolve) => (finishResync = resolve)));
    await fake.waitForConnection(1);
    await vi.waitFor(() => expect(h.resyncs()).toBe(1));
    fake.send(frames(0, 5).map((text) => JSON.parse(text) as object));
    await vi.waitFor(() => expect(numbers(h.events)).toEqual(range(0, 5)));
    finishResync();
    expect(h.conn.state).toBe('connected');
  });

  it('reports rejected credentials clearly, stays disconnected and keeps retrying', async () => {
    const h = connect({ password: 'wrong-password' });
    await vi.waitFor(() => expect(fake.requests.filter((r) => r.path === '/ari/events' && r.status === 401).length).toBeGreaterThanOrEqual(3));
    expect(h.conn.state).toMatch(/^(disconnected|connecting)$/);
    expect(h.states).toContain('disconnected');
    expect(h.states).not.toContain('connected');
    expect(h.conn.lastError?.message).toBe('ARI rejected the credentials for server "pbx1" (HTTP 401)');
    expect(h.conn.lastError?.code).toBe(ERROR_CODES.ARI_UNAVAILABLE);
    expect(JSON.stringify(h.conn.lastError?.details)).not.toContain('wrong-password');
    expect(fake.connectionCount).toBe(0);
    expect(h.resyncs()).toBe(0);
  });

  it('reconnects after the connection drops mid-stream and resyncs again', async () => {
    const h = connect();
    await fake.waitForConnection(1);
    fake.stream(frames(0, 20));
    await vi.waitFor(() => expect(h.events).toHaveLength(20));
    fake.dropConnections();
    await fake.waitForConnection(2);
    await vi.waitFor(() => expect(h.resyncs()).toBe(2));
    expect(h.conn.reconnects).toBe(1);
    expect(h.conn.lastError?.message).toMatch(/^ARI events socket of server "pbx1": closed by the server \(code 1006/);
    await fake.stream(frames(20, 40));
    await vi.waitFor(() => expect(numbers(h.events)).toEqual(range(0, 40)));
    expect(h.states).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
  });

  it('waits longer after each failed attempt while the server refuses connections', async () => {
    fake.refuseConnections(true);
    const h = connect({}, { backoff: { minDelayMs: 25, maxDelayMs: 150 } });
    const attempts = () => fake.requests.filter((r) => r.path === '/ari/events').map((r) => r.at.getTime());
    await vi.waitFor(() => expect(attempts().length).toBeGreaterThanOrEqual(5), { timeout: 3_000 });
    const at = attempts();
    // random() = 1 gives the ceilings exactly: 25, 50, 100, 150 ms; timers never fire early.
    [25, 50, 100, 150].forEach((delayMs, i) => expect(at[i + 1]! - at[i]!).toBeGreaterThanOrEqual(delayMs - 2));
    expect(h.conn.lastError?.message).toMatch(/socket hang up|ECONNRESET/);
    fake.refuseConnections(false);
    await fake.waitForConnection(1);
    await vi.waitFor(() => expect(h.conn.state).toBe('connected'));
    expect(h.resyncs()).toBe(1);
  });

  it('does not fight for a replaced application: waits at least the max delay before trying again', async () => {
    const h = connect({}, { backoff: { minDelayMs: 20, maxDelayMs: 400 } });
    await fake.waitForConnection(1);
    await vi.waitFor(() => expect(h.conn.state).toBe('connected'));
    const replacedAt = Date.now();
    fake.replaceApp();
    await vi.waitFor(() => expect(h.conn.state).toBe('replaced'));
    expect(JSON.parse(h.events.at(-1)!)).toMatchObject({ type: 'ApplicationReplaced', application: 'callflow' });
    expect(h.conn.lastError?.message).toBe('another client took over ARI application "callflow" on server "pbx1"');
    await sleep(300);
    expect(fake.connectionCount).toBe(1);
    await fake.waitForConnection(2, 3_000);
    expect(Date.now() - replacedAt).toBeGreaterThanOrEqual(400);
    await vi.waitFor(() => expect(h.conn.state).toBe('connected'));
    expect(h.states).toEqual(['connecting', 'connected', 'replaced', 'connecting', 'connected']);
  });

  it('closes the socket itself when Asterisk announces the replacement but keeps it open', async () => {
    const h = connect({}, { backoff: { minDelayMs: 20, maxDelayMs: 5_000 } });
    await fake.waitForConnection(1);
    fake.send({ type: 'ApplicationReplaced', application: 'callflow' });
    await vi.waitFor(() => expect(h.conn.state).toBe('replaced'));
    await vi.waitFor(() => expect(fake.openConnectionCount).toBe(0));
  });

  it('stop() closes the socket and nothing reconnects afterwards', async () => {
    const h = connect();
    await fake.waitForConnection(1);
    await vi.waitFor(() => expect(h.conn.state).toBe('connected'));
    await h.conn.stop();
    expect(h.conn.state).toBe('stopped');
    expect(h.conn.connectedSince).toBeNull();
    await vi.waitFor(() => expect(fake.connections[0]?.closeCode).toBe(1000));
    await sleep(150);
    expect(fake.connectionCount).toBe(1);
    await expect(h.conn.rest.listChannels()).rejects.toThrow();
  });

  it('stop() while paused cuts the socket instead of waiting for a close handshake it cannot read', async () => {
    const h = connect();
    await fake.waitForConnection(1);
    await vi.waitFor(() => expect(h.conn.state).toBe('connected'));
    h.conn.pause();
    await h.conn.stop();
    expect(h.conn.state).toBe('stopped');
    // Cut rather than closed by handshake: a paused reader would never see Asterisk's close frame.
    await vi.waitFor(() => expect(fake.connections[0]?.closeCode).toBe(1006));
  });

  it('stop() during the wait between attempts cancels the retry', async () => {
    fake.refuseConnections(true);
    const h = connect({}, { backoff: { minDelayMs: 50, maxDelayMs: 50 } });
    await vi.waitFor(() => expect(h.conn.state).toBe('disconnected'));
    const attempts = fake.requests.length;
    await h.conn.stop();
    await sleep(200);
    expect(fake.requests.length).toBe(attempts);
    expect(h.conn.state).toBe('stopped');
  });

  it('pause() stops delivery and resume() delivers the rest in order without loss', async () => {
    const h = connect();
    const conn = h.conn;
    h.afterEvent = (count) => {
      if (count === 10) conn.pause();
    };
    await fake.waitForConnection(1);
    await fake.stream(frames(0, 100));
    await vi.waitFor(() => expect(h.events).toHaveLength(10));
    await sleep(100);
    expect(h.events).toHaveLength(10);
    expect(conn.isPaused).toBe(true);
    conn.resume();
    await vi.waitFor(() => expect(h.events).toHaveLength(100));
    expect(numbers(h.events)).toEqual(range(0, 100));
  });

  it('receives bursts the fake frames itself, or framed ahead, as one message per text, in order, at every frame length', async () => {
    const h = connect();
    await fake.waitForConnection(1);
    await vi.waitFor(() => expect(h.conn.state).toBe('connected'));
    // Payload lengths under 126, up to 65,535 and beyond take the three header forms; é and ☎ are multibyte.
    const texts = [5, 124, 126, 1_000, 65_535, 70_000].map((size, n) => JSON.stringify({ type: 'Test', n, pad: 'é☎x'.repeat(size).slice(0, size) }));
    // A burst framed ahead (as the benchmark's fake Asterisk prepares its traffic) goes out as it is.
    async function* bursts(): AsyncGenerator<string | string[] | FramedBurst> {
      yield texts.slice(0, 2);
      yield texts[2]!;
      yield { frames: textFrames(texts.slice(3, 5)), count: 2 };
      yield texts.slice(5);
    }
    expect(await fake.stream(bursts())).toBe(texts.length);
    await vi.waitFor(() => expect(h.events).toHaveLength(texts.length));
    expect(h.events).toEqual(texts);
  });

  it('takes a frame that is not valid UTF-8 without closing the socket or losing the frames around it', async () => {
    const h = connect();
    await fake.waitForConnection(1);
    await vi.waitFor(() => expect(h.conn.state).toBe('connected'));
    fake.sendRaw(JSON.stringify({ type: 'Test', n: 0 }));
    fake.sendTextBytes(Buffer.concat([Buffer.from('{"type":"Test","n":1,"v":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}')]));
    fake.sendRaw(JSON.stringify({ type: 'Test', n: 2 }));
    await vi.waitFor(() => expect(h.events).toHaveLength(3));
    expect(numbers(h.events)).toEqual([0, 1, 2]);
    expect((JSON.parse(h.events[1]!) as { v: string }).v).toBe('a\uFFFD\uFFFDb');
    expect(h.states).toEqual(['connecting', 'connected']);
    expect(h.conn.reconnects).toBe(0);
  });

  it('a paused reader pushes back on the sender through TCP until resumed', async () => {
    const h = connect({}, { pingIntervalMs: 20, pongTimeoutMs: 20 });
    await fake.waitForConnection(1);
    await vi.waitFor(() => expect(h.conn.state).toBe('connected'));
    h.conn.pause();
    const padding = 'x'.repeat(10_000);
    const count = 2_000; // ~20 MB: far more than the socket buffers on both sides hold
    let streamed = false;
    const streaming = fake.stream(Array.from({ length: count }, (_, n) => JSON.stringify({ type: 'Test', n, padding }))).then((sent) => {
      streamed = true;
      return sent;
    });
    await sleep(400);
    expect(streamed).toBe(false);
    expect(h.events).toHaveLength(0);
    // Liveness checks are suspended while paused: the socket survived pings it could not read answers to.
    expect(h.conn.state).toBe('connected');
    h.conn.resume();
    expect(await streaming).toBe(count);
    await vi.waitFor(() => expect(h.events).toHaveLength(count), { timeout: 10_000 });
    expect(numbers(h.events)).toEqual(range(0, count));
    expect(fake.connectionCount).toBe(1);
  });

  it('replaces a socket whose server stops answering pings', async () => {
    fake.setAnswerPings(false);
    const h = connect({}, { pingIntervalMs: 30, pongTimeoutMs: 60 });
    await fake.waitForConnection(1);
    await vi.waitFor(() => expect(h.conn.lastError?.message).toBe('ARI server "pbx1" did not answer a ping within 60 ms'));
    fake.setAnswerPings(true);
    await fake.waitForConnection(2);
    await vi.waitFor(() => expect(h.conn.state).toBe('connected'));
    const connections = fake.connectionCount;
    await sleep(200);
    expect(fake.connectionCount).toBe(connections);
  });

  it('drops and retries the connection when the resync fails', async () => {
    let fail = true;
    const h = connect({}, {}, async () => {
      if (fail) {
        fail = false;
        throw new Error('GET /channels failed');
      }
    });
    await fake.waitForConnection(2);
    await vi.waitFor(() => expect(h.resyncs()).toBe(2));
    expect(h.conn.lastError?.message).toBe('resync after connecting to ARI server "pbx1" failed');
    expect(h.conn.state).toBe('connected');
  });

  it('keeps delivering when an event handler throws', async () => {
    const received: string[] = [];
    const conn = new AriConnection(
      config(),
      {
        onEvent: (bytes) => {
          received.push(bytes.toString('utf8'));
          if (received.length === 1) throw new Error('handler bug');
        },
        onConnected: async () => undefined,
      },
      { logger: silentLogger(), ...FAST },
    );
    open.push(conn);
    conn.start();
    await fake.waitForConnection(1);
    await fake.stream(frames(0, 3));
    await vi.waitFor(() => expect(numbers(received)).toEqual([0, 1, 2]));
    expect(conn.state).toBe('connected');
  });
});
