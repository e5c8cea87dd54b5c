import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceEvents } from '../support/fixtures.ts';
import { openTestApp, type TestApp } from '../support/test-app.ts';

// Connections that hold the server without finishing a request are closed: a client that sends nothing,
// one that drips its headers a byte at a time (slowloris), one that drips its body, one that keeps an idle
// keep-alive connection. The limits here are small so the test needs no long waits; the test waits for
// each socket to be closed (with a generous deadline) and never asserts how fast that was. An upgraded
// WebSocket is not subject to any of them.

const KEY = 'timeouts-test-key-0123456789';
const LIMITS = { headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 400, idleTimeoutMs: 1_200, connectionsCheckingIntervalMs: 100 };
/** Far beyond every limit above, on a busy machine; Node's own defaults would keep these sockets 60 s and more. */
const DEADLINE_MS = 15_000;

interface Watched {
  socket: Socket;
  received: () => string;
  closed: Promise<void>;
  isClosed: () => boolean;
}

function open(port: number): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let closedFlag = false;
    const closed = new Promise<void>((r) => socket.once('close', () => ((closedFlag = true), r())));
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => text, closed, isClosed: () => closedFlag }));
    socket.once('error', reject);
  });
}

/** Sends `chunks` one by one, `everyMs` apart, until they run out or the socket closes. */
async function drip(w: Watched, chunks: string[], everyMs: number): Promise<number> {
  let sent = 0;
  for (const chunk of chunks) {
    if (w.isClosed() || w.socket.destroyed) break;
    w.socket.write(chunk);
    sent++;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return sent;
}

function closedWithin(w: Watched, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    w.closed,
    new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('slow and idle connections', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: [KEY], http: LIMITS });
    port = Number(new URL(await t.server.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(async () => t?.close());

  it('closes a connection that never sends a request', async () => {
    const w = await open(port);
    await closedWithin(w, DEADLINE_MS, 'silent connection');
  });

  it('closes a client that drips its headers (slowloris), however long it would go on', async () => {
    const w = await open(port);
    const headerBytes = ['GET /health HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 10_000 }, (_, i) => `X-Drip-${i}: y\r\n`)];
    const sent = await drip(w, headerBytes, 50);
    await closedWithin(w, DEADLINE_MS, 'slow-header connection');
    expect(sent).toBeLessThan(headerBytes.length);
    // Node answers 408 (or just closes) and never handles the request.
    expect(w.received()).not.toContain('200 OK');
  });

  it('closes a client that drips its body', async () => {
    const w = await open(port);
    const body = JSON.stringify(traceEvents('c_dial_answered'));
    w.socket.write(`POST /api/events HTTP/1.1\r\nHost: x\r\nx-api-key: ${KEY}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`);
    const chunks = body.match(/[\s\S]{1,16}/g) ?? [];
    const sent = await drip(w, chunks, 50);
    await closedWithin(w, DEADLINE_MS, 'slow-body connection');
    expect(sent).toBeLessThan(chunks.length);
    expect(w.received()).not.toContain('202 Accepted');
  });

  it('closes an idle keep-alive connection after its answer, and keeps an upgraded live stream open past every limit', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live`, { headers: { 'x-api-key': KEY } });
    const messages: { type: string }[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data)) as { type: string }));
    let wsClosed = false;
    ws.on('close', () => (wsClosed = true));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const openedAt = Date.now();

    const w = await open(port);
    w.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    await closedWithin(w, DEADLINE_MS, 'idle keep-alive connection');
    expect(w.received()).toContain('200 OK');

    // The server has been cutting sockets meanwhile; now let every limit pass on the quiet stream too.
    const longest = Math.max(...Object.values(LIMITS)) + 500;
    while (Date.now() - openedAt < longest) await new Promise((r) => setTimeout(r, 100));
    expect(wsClosed).toBe(false);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const before = messages.length;
    const posted = await t.server.inject({ method: 'POST', url: '/api/events', headers: { 'x-api-key': KEY }, payload: traceEvents('d1_dial_busy') });
    expect(posted.statusCode).toBe(202);
    const deadline = Date.now() + DEADLINE_MS;
    while (messages.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(messages.length).toBeGreaterThan(before);
    ws.close();
  }, 30_000);
});

describe('too many connections', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: [KEY], http: { maxConnections: 3 } });
    port = Number(new URL(await t.server.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(async () => t?.close());

  it('closes connections past the limit as they arrive, and serves again once some are gone', async () => {
    const held = await Promise.all([open(port), open(port), open(port)]);
    const extra = await open(port);
    await closedWithin(extra, DEADLINE_MS, 'a connection past the limit');
    expect(extra.received()).toBe('');
    for (const w of held) w.socket.destroy();
    await Promise.all(held.map((w) => w.closed));
    const deadline = Date.now() + DEADLINE_MS;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status,
        () => 0,
      );
    }
    expect(status).toBe(200);
  });
});
