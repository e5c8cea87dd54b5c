import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../support/test-app.ts';
import { traceEvents } from '../support/fixtures.ts';
import { storeKinds } from '../support/test-store.ts';

// Ingest carries on when the database refuses one call for good. The refusal here comes from a CHECK
// constraint the test adds (the field bounds keep ARI's own values inside what the schema takes, so a
// constraint stands in for whatever the database may one day refuse): before, the batch was retried
// forever, POST /api/events never answered and everything queued behind it waited.

for (const kind of storeKinds()) {
  describe(`a refused call does not stop ingest (${kind})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await openTestApp(kind);
      await t.db.store.sql.query(`ALTER TABLE calls ADD CONSTRAINT test_refuses_666 CHECK (from_number <> '666')`);
    });
    afterAll(async () => t?.close());

    const post = (server: string, events: unknown[]) => t.server.inject({ method: 'POST', url: '/api/events', payload: { server, events } });
    const get = (url: string) => t.server.inject({ method: 'GET', url });

    it('stores the calls around it, quarantines it with the error, and takes the next events', async () => {
      const refused = JSON.parse(JSON.stringify(traceEvents('a_answer_wait_hangup')).replaceAll('"5551000"', '"666"'));
      const busy = traceEvents('d1_dial_busy');
      const res = await post('q', [...traceEvents('c_dial_answered'), ...refused, ...busy]);
      expect(res.statusCode).toBe(202);
      const ids: string[] = res.json().callIds;

      const answers = await Promise.all(ids.map((id) => get(`/api/calls/${encodeURIComponent(id)}`)));
      const stored = answers.filter((a) => a.statusCode === 200).map((a) => a.json());
      expect(stored.map((c) => c.disposition).sort()).toEqual(['answered', 'busy']);
      const missing = ids.filter((_, i) => answers[i]!.statusCode === 404);
      expect(missing).toEqual(['1795234247.0']);
      // Its raw events are kept all the same: the call can be rebuilt once the cause is fixed.
      expect((await get('/api/calls/1795234247.0/events')).json().items.length).toBeGreaterThan(20);

      const quarantine = (await get('/api/quarantine')).json();
      expect(quarantine.items.filter((r: any) => r.kind === 'call').map((r: any) => [r.callId, r.sqlstate])).toEqual([['1795234247.0', '23514']]);
      expect(JSON.parse(quarantine.items.find((r: any) => r.kind === 'call').data).from).toBe('666');
      expect((await get('/metrics')).body).toMatch(/^callflow_ingest_quarantined_rows_total\{kind="call"\} [1-9]/m);
      expect(t.engine.quarantinedRows).toBeGreaterThan(0);

      const next = await post('q', traceEvents('e_dtmf_varset'));
      expect(next.statusCode).toBe(202);
      expect((await get(`/api/calls/${encodeURIComponent(next.json().callIds[0])}`)).statusCode).toBe(200);
    });
  });
}
