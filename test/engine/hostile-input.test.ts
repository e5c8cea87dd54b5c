import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/compose.ts';
import { replayRawEvents } from '../../src/app/replay.ts';
import { countedEventType } from '../../src/domain/event-types.ts';
import { startAppAgainst, until, type AppAgainstAsterisk } from '../support/app-against-asterisk.ts';
import { FakeAsterisk } from '../support/fake-asterisk.ts';
import { hostileEvent, seededRandom, shiftedTrace } from '../support/hostile-events.ts';

// Fuzz: thousands of generated hostile events (long strings, huge and wrong-typed numbers, deep nesting,
// invalid Unicode and UTF-8, oversized frames, thousands of invented types) on the ARI socket and through
// POST /api/events, with recorded calls among them. The engine keeps running, no batch gets stuck, the valid
// calls come out as they do alone, what it keeps in memory per call stays bounded, and metric series and
// statistics rows do not grow with what a stranger sends. Seeded: a failure runs the same way again.

const SEED = 15;
const HOSTILE_FRAMES = 2_000;
const TRACES = ['a_answer_wait_hangup', 'b_unanswered_caller_hangup', 'c_dial_answered', 'd1_dial_busy', 'e_dtmf_varset', 'h3_sipp_cancel_while_ringing'];
/** What one open call may weigh as a record, given the field limits (docs/limits.md). */
const MAX_RECORD_BYTES = 32 * 1024;

function seriesOf(metrics: string, name: string): string[] {
  return metrics.split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe('hostile input', () => {
  const pbx = new FakeAsterisk({ username: 'u', password: 'fuzz-secret' });
  let running: AppAgainstAsterisk;
  let app: App;

  beforeAll(async () => {
    running = await startAppAgainst([{ name: 'pbx', fake: pbx, username: 'u', password: 'fuzz-secret' }]);
    app = running.app;
  });

  afterAll(async () => running?.stop());

  const get = (url: string) => app.server.inject({ method: 'GET', url });

  it('on the ARI socket: stores the valid calls among them as they are alone, and stays bounded', async () => {
    const random = seededRandom(SEED);
    const expected = new Map<string, string | null>();
    let copy = 0;
    for (let i = 0; i < HOSTILE_FRAMES; i++) {
      if (i % 100 === 0) {
        const trace = TRACES[copy % TRACES.length]!;
        const events = shiftedTrace(trace, 100_000 * (copy + 1));
        for (const record of replayRawEvents(events.map((e) => JSON.stringify(e)))) expected.set(record.id, record.disposition);
        pbx.send(events);
        copy++;
      }
      pbx.sendRaw(hostileEvent(random, i));
      if (i % 250 === 0) pbx.sendTextBytes(Buffer.from([0x7b, 0x22, 0x74, 0xff, 0xfe, 0x22, 0x7d]));
    }

    await until(
      async () => {
        for (const id of expected.keys()) if ((await app.store.getCall(id))?.status !== 'finished') return false;
        return app.engine.ingestor.pendingCount === 0;
      },
      150_000,
      'the valid calls to be stored',
    );
    for (const [id, disposition] of expected) expect((await app.store.getCall(id))?.disposition, id).toBe(disposition);
    expect(app.engine.ingestor.lastError).toBeNull();

    const health = await get('/health');
    expect(health.statusCode).toBe(200);
    expect(health.json().checks.ari[0].state).toBe('connected');

    // Memory: what the engine keeps per open call is bounded by the field limits.
    const open = app.engine.activeCalls();
    expect(open.length).toBeGreaterThan(0);
    for (const call of open) expect(Buffer.byteLength(JSON.stringify(call))).toBeLessThanOrEqual(MAX_RECORD_BYTES);

    // Metric series and statistics rows only for known event types (and `other`).
    const metrics = (await get('/metrics')).body;
    const typeSeries = seriesOf(metrics, 'callflow_events_total');
    for (const line of typeSeries) {
      const type = /type="([^"]*)"/.exec(line)![1]!;
      expect(countedEventType(type) === type || type === 'other', line).toBe(true);
    }
    expect(seriesOf(metrics, 'callflow_event_fields_clipped_total').length).toBeGreaterThan(0);
    expect(seriesOf(metrics, 'callflow_event_fields_clipped_total').length).toBeLessThanOrEqual(9);
    const stats = (await get('/api/stats')).json();
    for (const type of Object.keys(stats.eventsByType)) expect(countedEventType(type) === type || type === 'other', type).toBe(true);
    expect(stats.eventsByType.other).toBeGreaterThan(0);
  }, 180_000);

  it('through POST /api/events: hostile bodies are refused whole (never a 5xx), valid ones stored', async () => {
    const random = seededRandom(SEED + 1);
    const stored = async () => (await get('/api/stats')).json().events as number;
    let refused = 0;
    for (let request = 0; request < 150; request++) {
      const events = Array.from({ length: 8 }, (_, i) => hostileEvent(random, request * 8 + i)).map((text) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text;
        }
      });
      const before = await stored();
      const res = await app.server.inject({ method: 'POST', url: '/api/events', payload: { server: 'fuzz', events } });
      expect([202, 400, 413], `request ${request}: ${res.body.slice(0, 200)}`).toContain(res.statusCode);
      if (res.statusCode !== 202) {
        refused++;
        expect(res.json().code).toMatch(/^CF_/);
        expect(await stored()).toBe(before);
      }
    }
    expect(refused).toBeGreaterThan(100);

    const events = shiftedTrace('c_dial_answered', 9_000_000);
    const ok = await app.server.inject({ method: 'POST', url: '/api/events', payload: { server: 'fuzz', events } });
    expect(ok.statusCode).toBe(202);
    const [expected] = replayRawEvents(events.map((e) => JSON.stringify(e)));
    expect((await get(`/api/calls/${expected!.id}`)).json().disposition).toBe(expected!.disposition);
  }, 180_000);
});
