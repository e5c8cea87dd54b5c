import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveMessage } from '../../src/app/pipeline.ts';
import { MAX_LIVE_TEXT } from '../../src/app/live-frame.ts';
import { makeCall, makeLeg } from '../support/call-factory.ts';
import { traceEvents } from '../support/fixtures.ts';
import { oneChannelCall, openLive, waitUntil, type LiveClient } from '../support/live-client.ts';
import { openTestApp, type TestApp } from '../support/test-app.ts';

// WS /api/live across reconnects and under pressure: a client that comes back with the last seq it saw gets
// exactly what it missed, or an explicit resnapshot; one that stops reading is cut off with its buffer
// bounded; a snapshot of thousands of open calls with huge caller names stays within its limits.

const KEY = 'live-key-456';
const AUTH = { 'x-api-key': KEY };
const REPLAY_MESSAGES = 40;
const CLIENT_BUFFER_BYTES = 64 * 1024;
const SNAPSHOT_MAX_CALLS = 500;
const SNAPSHOT_MAX_BYTES = 256 * 1024;

describe('live stream: resume, slow readers, bounded snapshots', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await openTestApp('embedded', {
      apiKeys: [KEY],
      live: {
        replayMessages: REPLAY_MESSAGES,
        clientBufferBytes: CLIENT_BUFFER_BYTES,
        snapshotMaxCalls: SNAPSHOT_MAX_CALLS,
        snapshotMaxBytes: SNAPSHOT_MAX_BYTES,
      },
    });
    base = (await t.server.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
  });
  afterAll(async () => t?.close());

  async function post(events: readonly object[], server = 'default'): Promise<void> {
    const response = await t.server.inject({ method: 'POST', url: '/api/events', headers: AUTH, payload: { server, events } });
    expect(response.statusCode).toBe(202);
  }

  /** Opens a client and waits until it has everything published so far. */
  async function caughtUp(query = ''): Promise<LiveClient> {
    const client = await openLive(base, query, AUTH);
    const seq = t.engine.hubs.all.lastSeq;
    await waitUntil(() => client.messages.at(-1)?.seq === seq, `frames up to seq ${seq}`);
    return client;
  }

  async function closeAndWait(client: LiveClient): Promise<void> {
    client.ws.close();
    await client.closed;
  }

  /** Finished calls of one-channel calls: two changes each (created, finished). */
  async function postFinishedCalls(count: number, prefix: string): Promise<void> {
    const at = new Date();
    const events = [];
    for (let i = 0; i < count; i++) {
      const call = oneChannelCall(`${prefix}.${i}`, `Caller ${i}`, at);
      events.push(call.created, call.destroyed);
    }
    await post(events, prefix);
  }

  it('resumes a client within the buffer with exactly the messages it missed, in order', async () => {
    const reference = await caughtUp();
    const client = await caughtUp();
    const { stream } = client.messages[0];
    const lastSeen = client.messages.at(-1).seq;
    await closeAndWait(client);

    await post(traceEvents('c_dial_answered'), 'resume-within');
    await postFinishedCalls(3, 'resume-within-more');
    await waitUntil(() => reference.messages.at(-1).seq === t.engine.hubs.all.lastSeq, 'the reference client to catch up');
    const missed = reference.messages.filter((m) => m.seq > lastSeen);
    expect(missed.length).toBeGreaterThan(0);
    expect(missed.length).toBeLessThanOrEqual(REPLAY_MESSAGES);

    const back = await caughtUp(`?since=${lastSeen}&stream=${stream}`);
    expect(back.messages[0]).toEqual({ type: 'resumed', stream, seq: lastSeen });
    expect(back.messages.slice(1)).toEqual(missed);
    await closeAndWait(back);
    await closeAndWait(reference);
  });

  it('answers a resume whose gap is no longer held, or of another stream, with resnapshot and a fresh snapshot', async () => {
    const client = await caughtUp();
    const { stream } = client.messages[0];
    const lastSeen = client.messages.at(-1).seq;
    await closeAndWait(client);
    // More changes than the buffer holds.
    await postFinishedCalls(REPLAY_MESSAGES, 'resume-gap');
    expect(t.engine.hubs.all.lastSeq - lastSeen).toBeGreaterThan(REPLAY_MESSAGES);

    for (const [query, reason] of [
      [`?since=${lastSeen}&stream=${stream}`, 'gap'],
      [`?since=${t.engine.hubs.all.lastSeq}&stream=not-this-one`, 'stream'],
      [`?since=${t.engine.hubs.all.lastSeq + 5}&stream=${stream}`, 'gap'],
    ] as const) {
      const back = await caughtUp(query);
      const [first, second] = back.messages;
      expect(first).toMatchObject({ type: 'resnapshot', stream, reason });
      expect(second).toMatchObject({ type: 'snapshot', stream, seq: first.seq, truncated: false });
      expect(second.calls.every((c: any) => c.status !== 'finished')).toBe(true);
      await closeAndWait(back);
    }
  });

  it('disconnects a client that stops reading with 4001, its send buffer bounded all along', async () => {
    const slowBefore = await counterValue('callflow_live_slow_disconnects_total');
    const client = await caughtUp();
    const subscribers = t.engine.hubs.subscriberCount;
    const [serverSide] = [...serverSockets()].filter((ws) => ws.readyState === ws.OPEN);
    expect(serverSide).toBeDefined();
    // The client stops reading: the kernel's buffers fill first, then the engine's.
    (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    const name = 'N'.repeat(4 * MAX_LIVE_TEXT);
    let maxBuffered = 0;
    let published = 0;
    await waitUntil(
      () => {
        if (t.engine.hubs.subscriberCount < subscribers) return true;
        const batch: LiveMessage[] = [];
        for (let i = 0; i < 200; i++) {
          const legs = [makeLeg({ callerName: name }), makeLeg({ callerName: name })];
          batch.push({ type: 'call.updated', call: makeCall({ shape: 'in_progress', legs }) });
        }
        t.engine.hubs.publish(batch);
        published += batch.length;
        maxBuffered = Math.max(maxBuffered, serverSide!.bufferedAmount);
        // About 50 MB, far more than a socket's kernel buffers hold: the client should long have been cut off.
        if (published > 20_000) throw new Error(`the slow client was never disconnected (${maxBuffered} bytes left unread)`);
        return false;
      },
      'the slow client to be dropped',
      60_000,
    );
    expect(await counterValue('callflow_live_slow_disconnects_total')).toBe(slowBefore + 1);
    // Bounded: the limit, the small opening, and one frame sent while just under it.
    expect(maxBuffered).toBeLessThanOrEqual(CLIENT_BUFFER_BYTES + 32 * 1024);

    // A client that reads on finds the close code after what was already queued for it.
    (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await client.closed).code).toBe(4001);
  }, 60_000);

  it('keeps a snapshot of thousands of open calls with huge caller names within its bounds', async () => {
    const at = new Date();
    const events = [];
    // The largest name an event can bring within its 256 KiB (ingest clips it; the stream caps it again).
    for (let i = 0; i < 2_000; i++) events.push(oneChannelCall(`crowd.${i}`, 'x'.repeat(i === 0 ? 200 * 1024 : 2_000), at).created);
    await t.engine.inject(events, 'crowd');
    expect(t.engine.activeCalls().length).toBeGreaterThanOrEqual(2_000);

    const client = await openLive(base, '', AUTH);
    await waitUntil(() => client.messages[0], 'the snapshot');
    const snapshot = client.messages[0];
    expect(snapshot.type).toBe('snapshot');
    expect(client.sizes[0]).toBeLessThanOrEqual(SNAPSHOT_MAX_BYTES);
    expect(snapshot.truncated).toBe(true);
    expect(snapshot.openCalls).toBe(t.engine.activeCalls().length);
    expect(snapshot.calls.length).toBeGreaterThan(0);
    expect(snapshot.calls.length).toBeLessThanOrEqual(SNAPSHOT_MAX_CALLS);
    for (const call of snapshot.calls) {
      expect(call.status).not.toBe('finished');
      for (const leg of call.legs) expect(leg.callerName.length).toBeLessThanOrEqual(MAX_LIVE_TEXT);
    }
    await closeAndWait(client);
  });

  function serverSockets(): Set<WebSocket> {
    return (t.server as unknown as { websocketServer: { clients: Set<WebSocket> } }).websocketServer.clients;
  }

  async function counterValue(name: string): Promise<number> {
    const metric = await t.metrics.registry.getSingleMetric(name)?.get();
    return metric?.values[0]?.value ?? 0;
  }
});
