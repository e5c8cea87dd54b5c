import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../support/test-app.ts';
import { traceEvents } from '../support/fixtures.ts';

// WS /api/live on a listening server: snapshot first, then created/updated/finished after commits.

describe('live stream', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: ['live-key-123'] });
    const address = await t.server.listen({ host: '127.0.0.1', port: 0 });
    base = address.replace('http', 'ws');
  });
  afterAll(async () => t?.close());

  function connect(headers: Record<string, string>): Promise<{ ws: WebSocket; messages: any[] }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${base}/api/live`, { headers });
      const messages: any[] = [];
      ws.on('message', (data) => messages.push(JSON.parse(String(data))));
      ws.once('open', () => resolve({ ws, messages }));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  it('refuses a client without the API key', async () => {
    await expect(connect({})).rejects.toThrow('status 401');
  });

  it('streams a snapshot, then the call as it is created, updated and finished', async () => {
    const ring = traceEvents('b_unanswered_caller_hangup');
    const cut = ring.findIndex((e: any) => e.type === 'StasisStart') + 1;
    await t.server.inject({ method: 'POST', url: '/api/events', headers: { 'x-api-key': 'live-key-123' }, payload: ring.slice(0, cut) });

    const { ws, messages } = await connect({ 'x-api-key': 'live-key-123' });
    const deadline = Date.now() + 5000;
    while (messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(messages[0].type).toBe('snapshot');
    expect(messages[0].calls.map((c: any) => c.id)).toEqual(['1795234256.2']);

    await t.server.inject({ method: 'POST', url: '/api/events', headers: { 'x-api-key': 'live-key-123' }, payload: ring.slice(cut) });
    const answered = traceEvents('a_answer_wait_hangup');
    await t.server.inject({ method: 'POST', url: '/api/events', headers: { 'x-api-key': 'live-key-123' }, payload: answered });
    while (messages.filter((m) => m.type === 'call.finished').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    ws.close();

    const types = messages.slice(1).map((m) => `${m.type}:${m.call?.id}`);
    expect(types).toContain('call.finished:1795234256.2');
    expect(types).toContain('call.created:1795234247.0');
    expect(types).toContain('call.finished:1795234247.0');
    const finished = messages.find((m) => m.type === 'call.finished' && m.call.id === '1795234256.2');
    expect(finished.call.disposition).toBe('cancelled');
  });
});
