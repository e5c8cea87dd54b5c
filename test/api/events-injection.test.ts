import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_LIMITS } from '../../src/ari/event-limits.ts';
import { openTestApp, type TestApp } from '../support/test-app.ts';
import { traceEvents } from '../support/fixtures.ts';
import { storeKinds } from '../support/test-store.ts';

// POST /api/events as a stranger with a key would use it: it must not reach live sources, must do a request
// once per Idempotency-Key, must answer with the ids calls have once stored, and must refuse what is too big.

const TRACES = ['a_answer_wait_hangup', 'b_unanswered_caller_hangup', 'c_dial_answered', 'd1_dial_busy', 'e_dtmf_varset', 'f_ari_bridge', 'h_sipp_inbound_stasis'];

for (const kind of storeKinds()) {
  describe(`POST /api/events (${kind})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await openTestApp(kind);
      // A live source, as the composition root adds a configured ARI server.
      t.engine.addSource({ name: 'pbx1', kind: 'ari', start: () => undefined, stop: async () => undefined, pause: () => undefined, resume: () => undefined });
    });
    afterAll(async () => t?.close());

    const post = (payload: unknown, headers: Record<string, string> = {}) => t.server.inject({ method: 'POST', url: '/api/events', payload: payload as object, headers });
    const storedEvents = async () => (await t.server.inject({ method: 'GET', url: '/api/stats' })).json().events as number;

    it('refuses to file events under a live source, and says why', async () => {
      const before = await storedEvents();
      const res = await post({ server: 'pbx1', events: traceEvents('a_answer_wait_hangup') });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('CF_FORBIDDEN');
      expect(await storedEvents()).toBe(before);
      expect((await post({ server: 'bad name/../x', events: [] })).statusCode).toBe(400);
    });

    it('answers with ids of calls that exist once the events are stored (none merged away)', async () => {
      for (const trace of TRACES) {
        const res = await post({ server: `ids-${trace.replace(/_/g, '-')}`, events: traceEvents(trace) });
        expect(res.statusCode, trace).toBe(202);
        const { callIds } = res.json();
        expect(callIds.length, trace).toBeGreaterThan(0);
        for (const id of callIds) {
          expect((await t.server.inject({ method: 'GET', url: `/api/calls/${encodeURIComponent(id)}` })).statusCode, `${trace}: ${id}`).toBe(200);
        }
      }
    });

    it('does a request once per Idempotency-Key: the same body gets the first answer, another body is refused', async () => {
      const body = { server: 'idem', events: traceEvents('c_dial_answered') };
      const first = await post(body, { 'idempotency-key': 'order-42' });
      expect(first.statusCode).toBe(202);
      const afterFirst = await storedEvents();
      const again = await post(body, { 'idempotency-key': 'order-42' });
      expect(again.statusCode).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expect(await storedEvents()).toBe(afterFirst);

      const other = await post({ server: 'idem', events: traceEvents('d1_dial_busy') }, { 'idempotency-key': 'order-42' });
      expect(other.statusCode).toBe(422);
      expect(other.json().code).toBe('CF_IDEMPOTENCY_KEY_REUSED');
      expect(await storedEvents()).toBe(afterFirst);

      // Keys belong to whoever sent them: without keys configured every caller is one principal, so a new
      // key is a new request.
      const fresh = await post(body, { 'idempotency-key': 'order-43' });
      expect(fresh.statusCode).toBe(202);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      expect(await storedEvents()).toBe(afterFirst + body.events.length);

      expect((await post(body, { 'idempotency-key': 'spaces are not allowed' })).statusCode).toBe(400);
    });

    it('stores a body sent twice at once under one key only once', async () => {
      const body = { server: 'idem-race', events: traceEvents('a_answer_wait_hangup') };
      const before = await storedEvents();
      const answers = await Promise.all([post(body, { 'idempotency-key': 'race-1' }), post(body, { 'idempotency-key': 'race-1' })]);
      const codes = answers.map((a) => a.statusCode).sort();
      // Either the second waited behind the first's answer (202 replayed) or found it running (409).
      expect([[202, 202], [202, 409]]).toContainEqual(codes);
      expect(await storedEvents()).toBe(before + body.events.length);
    });

    it('refuses an event over the size limit, and too many events, naming them', async () => {
      const events = traceEvents('a_answer_wait_hangup');
      const first = events[0]!;
      const big = { ...first, channel: { ...(first.channel as object), caller: { name: 'x'.repeat(EVENT_LIMITS.eventBytes), number: '1' } } };
      const res = await post({ server: 'big', events: [events[1], big] });
      expect(res.statusCode).toBe(400);
      expect(res.json().details).toEqual([{ index: 1, message: expect.stringContaining('over the') }]);
      const many = await post({ server: 'many', events: Array.from({ length: 20_001 }, () => events[1]) });
      expect(many.statusCode).toBe(400);
    });
  });
}
