import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../support/test-app.ts';
import { traceEvents } from '../support/fixtures.ts';
import { openLive, refusedWith, waitUntil } from '../support/live-client.ts';

// WS /api/live on a listening server: who may open it (key header, single-use tickets, Origin), and the
// numbered stream of a snapshot then created/updated/finished after commits.

const KEY = 'live-key-123';
const AUTH = { 'x-api-key': KEY };

/** The open calls a client knows after a snapshot and the changes that followed it. */
function openCallsOf(messages: any[]): string[] {
  const open = new Set<string>(messages[0].calls.map((c: any) => c.id));
  for (const m of messages.slice(1)) {
    if (m.type === 'call.merged') open.delete(m.from);
    else if (m.call.status === 'finished') open.delete(m.call.id);
    else open.add(m.call.id);
  }
  return [...open];
}

describe('live stream: access and messages', () => {
  let t: TestApp;
  let base: string;
  let httpBase: string;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: [KEY], http: { allowedOrigins: ['https://ops.example.com'] } });
    httpBase = await t.server.listen({ host: '127.0.0.1', port: 0 });
    base = httpBase.replace('http', 'ws');
  });
  afterAll(async () => t?.close());

  async function ticket(): Promise<{ ticket: string; expiresAt: string }> {
    const response = await t.server.inject({ method: 'POST', url: '/api/live/tickets', headers: AUTH });
    expect(response.statusCode).toBe(200);
    return response.json();
  }

  it('refuses a client without a credential, and never takes a key from the URL', async () => {
    expect(await refusedWith(base)).toBe(401);
    expect(await refusedWith(base, `?apiKey=${KEY}`)).toBe(401);
    expect(await refusedWith(base, '?ticket=made-up')).toBe(401);
    expect((await t.server.inject({ method: 'POST', url: '/api/live/tickets' })).statusCode).toBe(401);
  });

  it('opens once with a ticket issued for the key, and refuses the same ticket again', async () => {
    const before = Date.now();
    const issued = await ticket();
    expect(issued.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const lifetimeMs = Date.parse(issued.expiresAt) - before;
    expect(lifetimeMs).toBeGreaterThan(20_000);
    expect(lifetimeMs).toBeLessThanOrEqual(31_000);
    expect((await ticket()).ticket).not.toBe(issued.ticket);

    const client = await openLive(base, `?ticket=${issued.ticket}`);
    await waitUntil(() => client.messages[0], 'the snapshot');
    expect(client.messages[0].type).toBe('snapshot');
    client.ws.close();
    expect(await refusedWith(base, `?ticket=${issued.ticket}`)).toBe(401);
  });

  it('refuses a page of a foreign origin with 403 before the upgrade, whatever its credential', async () => {
    const issued = await ticket();
    expect(await refusedWith(base, '', { ...AUTH, origin: 'https://evil.example' })).toBe(403);
    expect(await refusedWith(base, `?ticket=${issued.ticket}`, { origin: 'https://evil.example' })).toBe(403);
    expect(await refusedWith(base, '', { ...AUTH, origin: 'null' })).toBe(403);
    // The engine's own origin, and a configured one, may.
    for (const origin of [httpBase, 'https://ops.example.com']) {
      const client = await openLive(base, '', { ...AUTH, origin });
      client.ws.close();
    }
    // The refused handshake did not spend the ticket.
    const client = await openLive(base, `?ticket=${issued.ticket}`, { origin: httpBase });
    client.ws.close();
  });

  it('streams a snapshot, then the call as it is created, updated and finished, every message numbered', async () => {
    const ring = traceEvents('b_unanswered_caller_hangup');
    const cut = ring.findIndex((e: any) => e.type === 'StasisStart') + 1;
    await t.server.inject({ method: 'POST', url: '/api/events', headers: AUTH, payload: ring.slice(0, cut) });

    const { ws, messages } = await openLive(base, '', AUTH);
    // The snapshot may be a recent one followed by the changes after it; together they are the state now.
    const seqAtOpen = t.engine.hubs.all.lastSeq;
    await waitUntil(() => messages.at(-1)?.seq === seqAtOpen, 'the opening frames');
    const [snapshot] = messages;
    expect(snapshot).toMatchObject({ type: 'snapshot', stream: t.engine.hubs.all.streamId, truncated: false });
    expect(openCallsOf(messages)).toEqual(['1795234256.2']);

    await t.server.inject({ method: 'POST', url: '/api/events', headers: AUTH, payload: ring.slice(cut) });
    await t.server.inject({ method: 'POST', url: '/api/events', headers: AUTH, payload: traceEvents('a_answer_wait_hangup') });
    await waitUntil(() => messages.filter((m) => m.type === 'call.finished').length >= 2, 'two finished calls');
    ws.close();

    const changes = messages.slice(1);
    expect(changes.length).toBeGreaterThan(3);
    expect(changes.map((m) => m.seq)).toEqual(changes.map((_m, i) => snapshot.seq + 1 + i));
    const types = changes.map((m) => `${m.type}:${m.call?.id}`);
    expect(types).toContain('call.finished:1795234256.2');
    expect(types).toContain('call.created:1795234247.0');
    expect(types).toContain('call.finished:1795234247.0');
    const finished = changes.find((m) => m.type === 'call.finished' && m.call.id === '1795234256.2');
    expect(finished.call.disposition).toBe('cancelled');
  });
});

describe('live stream: ticket lifetime', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: [KEY], live: { ticketTtlMs: 1_000 } });
    base = (await t.server.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
  });
  afterAll(async () => t?.close());

  it('refuses a ticket that was not used within its lifetime', async () => {
    const issued = (await t.server.inject({ method: 'POST', url: '/api/live/tickets', headers: AUTH })).json();
    const expiresAtMs = Date.parse(issued.expiresAt);
    await waitUntil(() => Date.now() > expiresAtMs + 20, 'the ticket to expire', 5_000);
    expect(await refusedWith(base, `?ticket=${issued.ticket}`)).toBe(401);
  });
});

describe('live stream: without API keys', () => {
  let t: TestApp;
  let base: string;
  let httpBase: string;
  beforeAll(async () => {
    t = await openTestApp('embedded');
    httpBase = await t.server.listen({ host: '127.0.0.1', port: 0 });
    base = httpBase.replace('http', 'ws');
  });
  afterAll(async () => t?.close());

  it('needs no credential, but still refuses a page of a foreign origin', async () => {
    for (const headers of [{}, { origin: httpBase }] as Record<string, string>[]) {
      const client = await openLive(base, '', headers);
      await waitUntil(() => client.messages[0], 'the snapshot');
      expect(client.messages[0].type).toBe('snapshot');
      client.ws.close();
    }
    expect(await refusedWith(base, '', { origin: 'https://evil.example' })).toBe(403);
  });
});

describe('live stream: guessing tickets is throttled like guessing keys', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: [KEY], http: { authFailureLimit: 3, authFailureWindowMs: 60_000 } });
    base = (await t.server.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
  });
  afterAll(async () => t?.close());

  it('answers 429 once an address has failed too often, and then holds out its keyed requests too', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) answers.push(await refusedWith(base, `?ticket=guess-${i}`));
    expect(answers).toEqual([401, 401, 401, 429, 429]);
    const keyed = await t.server.inject({ method: 'GET', url: '/api/calls', headers: AUTH, remoteAddress: '127.0.0.1' });
    expect(keyed.statusCode).toBe(429);
    expect(keyed.headers['retry-after']).toMatch(/^\d+$/);
  });
});
