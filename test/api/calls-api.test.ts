import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeKinds } from '../support/test-store.ts';
import { openTestApp, type TestApp } from '../support/test-app.ts';
import { traceEvents } from '../support/fixtures.ts';

// The REST API on the embedded database, and on the real PostgreSQL when DATABASE_URL is set.

for (const kind of storeKinds()) {
  describe(`API on the ${kind} database`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await openTestApp(kind);
      for (const name of ['c_dial_answered', 'd1_dial_busy', 'd2_dial_noanswer', 'b_unanswered_caller_hangup', 'h3_sipp_cancel_while_ringing', 'e_dtmf_varset']) {
        const res = await t.server.inject({ method: 'POST', url: '/api/events', payload: { events: traceEvents(name) } });
        expect(res.statusCode, res.body).toBe(202);
      }
    });
    afterAll(async () => t?.close());

    it('lists calls newest first with their outcomes', async () => {
      const res = await t.server.inject({ method: 'GET', url: '/api/calls' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.items.map((c: any) => c.disposition)).toEqual(['cancelled', 'answered', 'no_answer', 'busy', 'answered', 'cancelled']);
      const started = body.items.map((c: any) => c.startedAt);
      expect([...started].sort().reverse()).toEqual(started);
      expect(body.nextCursor).toBeNull();
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      // Records go out as stored, with their fields in the documented order, and equal to GET /api/calls/:id.
      expect(Object.keys(body.items[0])).toEqual([
        'id', 'server', 'tenantId', 'status', 'disposition', 'direction', 'from', 'to', 'startedAt', 'answeredAt', 'answerEstimated', 'endedAt',
        'durationMs', 'talkMs', 'hangupCause', 'hangupCauseText', 'closedBy', 'endEstimated', 'backfilled', 'route', 'legs', 'eventCount', 'updatedAt',
      ]);
      for (const item of body.items) {
        const { timeline: _t, crm: _c, ...one } = (await t.server.inject({ method: 'GET', url: `/api/calls/${item.id}` })).json();
        expect(item).toEqual(one);
      }
    });

    it('filters by disposition, direction, number prefix and time range', async () => {
      const get = async (q: string) => (await t.server.inject({ method: 'GET', url: `/api/calls?${q}` })).json().items.map((c: any) => c.id);
      expect(await get('disposition=busy')).toEqual(['1795234271.10']);
      expect((await get('disposition=busy,no_answer')).sort()).toEqual(['1795234271.10', '1795234275.18']);
      expect(await get('number=5554')).toEqual(['1795234265.6']);
      expect(await get('number=302')).toEqual(['1795234275.18']);
      expect((await get('status=finished')).length).toBe(6);
      expect((await get('direction=outbound')).length).toBe(0);
      expect(await get('since=2026-11-21T04:11:15Z&until=2026-11-21T04:11:16Z')).toEqual(['1795234275.18']);
      // No tenant rules here: every call is the default tenant's.
      expect((await get('tenant=default')).length).toBe(6);
      expect(await get('tenant=acme')).toEqual([]);
    });

    it('pages with a cursor without gaps or repeats', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/calls?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = (await t.server.inject({ method: 'GET', url })).json();
        seen.push(...page.items.map((c: any) => c.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(6);
      expect(new Set(seen).size).toBe(6);
    });

    it('serves one call with legs and timeline, and its raw events', async () => {
      const res = await t.server.inject({ method: 'GET', url: '/api/calls/1795234298.32' });
      expect(res.statusCode).toBe(200);
      const call = res.json();
      expect(call.legs).toHaveLength(2);
      expect(call.timeline.filter((e: any) => e.kind === 'dtmf').map((e: any) => e.data.digit)).toEqual(['1', '2', '#', '4', '*', '9']);
      expect(call.timeline.some((e: any) => e.kind === 'variable' && e.text === 'CALLFLOW_STATE=answered')).toBe(true);
      const events = (await t.server.inject({ method: 'GET', url: '/api/calls/1795234298.32/events' })).json().items;
      expect(events).toHaveLength(call.eventCount);
      const seqs = events.map((e: any) => e.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(events[0].event.type).toBe('ChannelCreated');
    });

    it("pages a call's raw events with after and limit", async () => {
      const url = '/api/calls/1795234298.32/events';
      const whole = (await t.server.inject({ method: 'GET', url })).json();
      expect(whole.nextCursor).toBeNull();
      const seqs = whole.items.map((e: any) => e.seq);
      expect(seqs.length).toBeGreaterThan(7);

      const paged: any[] = [];
      let after: number | null = null;
      let pages = 0;
      do {
        const res: { statusCode: number; json(): any } = await t.server.inject({ method: 'GET', url: `${url}?limit=7${after === null ? '' : `&after=${after}`}` });
        expect(res.statusCode).toBe(200);
        const page: { items: any[]; nextCursor: number | null } = res.json();
        expect(page.items.length).toBeLessThanOrEqual(7);
        paged.push(...page.items);
        after = page.nextCursor;
        pages++;
      } while (after !== null);
      expect(pages).toBe(Math.ceil(seqs.length / 7));
      expect(paged).toEqual(whole.items);

      const tail = (await t.server.inject({ method: 'GET', url: `${url}?after=${seqs.at(-1)}` })).json();
      expect(tail).toEqual({ items: [], nextCursor: null });
      for (const bad of ['limit=0', 'limit=2001', 'after=-1', 'after=x']) {
        const res = await t.server.inject({ method: 'GET', url: `${url}?${bad}` });
        expect(res.statusCode, bad).toBe(400);
        expect(res.json().code).toBe('CF_REQUEST_INVALID');
      }
      expect((await t.server.inject({ method: 'GET', url: '/api/calls/no-such-call/events?limit=5' })).statusCode).toBe(404);

      // The OpenAPI document describes the paging.
      const op = (await t.server.inject({ method: 'GET', url: '/docs/json' })).json().paths['/api/calls/{id}/events'].get;
      expect(op.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name).sort()).toEqual(['after', 'limit']);
      expect(JSON.stringify(op.responses['200'])).toContain('nextCursor');
    });

    it('rebuilds a call from its stored events into the same record', async () => {
      for (const id of ['1795234265.6', '1795234271.10', '1795234298.32']) {
        const res = await t.server.inject({ method: 'POST', url: `/api/calls/${id}/rebuild` });
        expect(res.statusCode).toBe(200);
        expect(res.json().identical).toBe(true);
      }
    });

    it('answers 404 for an unknown call, in the error shape', async () => {
      const res = await t.server.inject({ method: 'GET', url: '/api/calls/nope' });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('CF_NOT_FOUND');
    });

    it('rejects bad query parameters with 400 and a clear message', async () => {
      for (const q of ['status=flying', 'limit=0', 'limit=9999', 'since=yesterday', 'direction=sideways']) {
        const res = await t.server.inject({ method: 'GET', url: `/api/calls?${q}` });
        expect(res.statusCode, q).toBe(400);
        expect(res.json().code).toBe('CF_REQUEST_INVALID');
      }
    });

    it('rejects malformed events whole and changes nothing', async () => {
      const before = (await t.server.inject({ method: 'GET', url: '/api/stats' })).json();
      const good = traceEvents('a_answer_wait_hangup');
      const bad = [...good.slice(0, 3), { type: 'ChannelCreated', channel: { name: 'no id' } }, ...good.slice(3)];
      const res = await t.server.inject({ method: 'POST', url: '/api/events', payload: bad });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('CF_EVENT_INVALID');
      expect(res.json().details[0].index).toBe(3);
      for (const payload of ['{"type":', '[1,2', 'null']) {
        const r = await t.server.inject({ method: 'POST', url: '/api/events', payload, headers: { 'content-type': 'application/json' } });
        expect(r.statusCode).toBe(400);
      }
      const wrongTime = await t.server.inject({ method: 'POST', url: '/api/events', payload: { type: 'ChannelCreated', timestamp: 'noon', channel: { id: '1.1', name: 'x' } } });
      expect(wrongTime.statusCode).toBe(400);
      const after = (await t.server.inject({ method: 'GET', url: '/api/stats' })).json();
      expect(after.calls).toBe(before.calls);
      expect(after.events).toBe(before.events);
      // and the service still takes good events
      expect((await t.server.inject({ method: 'POST', url: '/api/events', payload: good })).statusCode).toBe(202);
    });

    it('stores unknown event types and passes them over', async () => {
      const res = await t.server.inject({
        method: 'POST',
        url: '/api/events',
        payload: [
          { type: 'SomeFutureEvent', timestamp: '2026-11-21T05:00:00.000+0000', whatever: { x: 1 } },
          { type: 'ChannelTalkingStarted', timestamp: '2026-11-21T05:00:00.000+0000', channel: { id: '1795234298.32', name: 'Local/100@from-test-00000010;2', state: 'Up' } },
        ],
      });
      expect(res.statusCode).toBe(202);
      const stats = (await t.server.inject({ method: 'GET', url: '/api/stats' })).json();
      // Stored as received, counted as `other`: statistics rows only take known event types.
      expect(stats.eventsByType.SomeFutureEvent).toBeUndefined();
      expect(stats.eventsByType.other).toBe(1);
      expect(stats.eventsByType.ChannelTalkingStarted).toBe(1);
      const stored = (await t.server.inject({ method: 'GET', url: '/api/stats' })).json().events;
      expect(stored).toBeGreaterThanOrEqual(2);
    });

    it('reports stats, health, metrics, OpenAPI and CSV', async () => {
      const stats = (await t.server.inject({ method: 'GET', url: '/api/stats' })).json();
      expect(stats.calls).toBeGreaterThanOrEqual(6);
      expect(stats.eventsByType.ChannelCreated).toBeGreaterThan(0);
      expect((await t.server.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
      // Counted per accepted event; every scrape shows the same totals until more events arrive.
      const destroyedCount = (body: string): number => Number(/^callflow_events_total\{type="ChannelDestroyed"\} (\d+)$/m.exec(body)?.[1]);
      const expected = stats.eventsByType.ChannelDestroyed;
      expect(expected).toBeGreaterThan(0);
      const metrics = await t.server.inject({ method: 'GET', url: '/metrics' });
      expect(destroyedCount(metrics.body)).toBe(expected);
      expect(destroyedCount((await t.server.inject({ method: 'GET', url: '/metrics' })).body)).toBe(expected);
      // The arrival-to-commit lag is observed once per committed event (in bulk per arrival instant).
      const committed = Object.values(stats.eventsByType as Record<string, number>).reduce((a, b) => a + b, 0);
      const lagCount = Number(/^callflow_event_commit_lag_seconds_count (\d+)$/m.exec(metrics.body)?.[1]);
      expect(lagCount).toBe(committed);
      expect(metrics.body).toMatch(/^callflow_event_commit_lag_seconds_bucket\{le="\+Inf"\} \d+$/m);
      const docs = await t.server.inject({ method: 'GET', url: '/docs/json' });
      expect(docs.json().paths['/api/calls']).toBeDefined();
      const csv = await t.server.inject({ method: 'GET', url: '/api/calls/export.csv?disposition=busy' });
      expect(csv.headers['content-type']).toContain('text/csv');
      const lines = csv.body.trim().split('\r\n');
      expect(lines[0]).toMatch(/^id,server,status,disposition/);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain('1795234271.10');
      const callStats = (await t.server.inject({ method: 'GET', url: '/api/stats/calls' })).json();
      expect(callStats.byDisposition.busy).toBe(1);
    });
  });
}

describe('API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp('embedded', { apiKeys: ['secret-key-1'] });
  });
  afterAll(async () => t?.close());

  it('requires a key everywhere but /health', async () => {
    expect((await t.server.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    for (const url of ['/api/calls', '/api/stats', '/metrics', '/docs/json']) {
      const res = await t.server.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().code).toBe('CF_UNAUTHORIZED');
    }
    expect((await t.server.inject({ method: 'GET', url: '/api/calls', headers: { 'x-api-key': 'wrong-key-11' } })).statusCode).toBe(401);
    expect((await t.server.inject({ method: 'GET', url: '/api/calls', headers: { 'x-api-key': 'secret-key-1' } })).statusCode).toBe(200);
    expect((await t.server.inject({ method: 'GET', url: '/api/calls', headers: { authorization: 'Bearer secret-key-1' } })).statusCode).toBe(200);
    // Keys are never taken from the URL (it ends up in logs and histories).
    expect((await t.server.inject({ method: 'GET', url: '/api/calls?apiKey=secret-key-1' })).statusCode).toBe(401);
  });
});

describe('GET /api/calls between writes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp('embedded');
  });
  afterAll(async () => t?.close());

  const post = async (trace: string) => expect((await t.server.inject({ method: 'POST', url: '/api/events', payload: { events: traceEvents(trace) } })).statusCode).toBe(202);
  const list = () => t.server.inject({ method: 'GET', url: '/api/calls' });
  const lookups = async (answer: string) => {
    const text = (await t.server.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(new RegExp(`^callflow_api_listing_lookups_total\\{answer="${answer}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };

  it('answers a repeated listing from memory and shows calls posted in between at once', async () => {
    await post('c_dial_answered');
    const first = await list();
    const again = await list();
    expect(again.body).toBe(first.body);
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(first.json().items.map((c: any) => c.disposition)).toEqual(['answered']);
    await post('d1_dial_busy');
    const after = (await list()).json();
    expect(after.items.map((c: any) => c.disposition)).toEqual(['busy', 'answered']);
    expect(await lookups('hit')).toBe(1);
    expect(await lookups('miss')).toBe(2);
  });
});
