import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AriConnection } from '../../src/ari/client.ts';
import { Engine } from '../../src/app/engine.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { createMetrics, type EngineMetrics } from '../../src/app/metrics.ts';
import type { CallChange } from '../../src/app/pipeline.ts';
import { DEFAULT_DIRECTION_RULES } from '../../src/app/replay.ts';
import type { AriChannel } from '../../src/ari/types.ts';
import type { CallRecord } from '../../src/domain/call.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import { FakeAsterisk } from '../support/fake-asterisk.ts';
import { traceEvents } from '../support/fixtures.ts';
import { waitFor } from '../support/processes.ts';
import { openTestStore, storeKinds, type TestStore } from '../support/test-store.ts';

// The stale-call sweep in a real engine on a real store. Its clock is injected: the test moves it and runs
// the sweep, so nothing depends on how fast the machine is. One test lets the engine's own timer run.

// As with the defaults, the grace for unreachable servers is shorter than the silence that makes a call stale.
const STALE_MS = 600_000;
const GRACE_MS = 300_000;
const RINGING_ID = '1795234256.2'; // b_unanswered_caller_hangup
const ANSWERED_ID = '1795234265.6'; // c_dial_answered

/** The trace up to (not including) its first hangup request: the call is still going on. */
function beforeHangup(trace: string): Record<string, unknown>[] {
  const events = traceEvents(trace);
  return events.slice(0, events.findIndex((e) => e.type === 'ChannelHangupRequest'));
}

interface Harness {
  engine: Engine;
  metrics: EngineMetrics;
  changes: CallChange[];
  clock: { ms: number };
}

function newEngine(db: TestStore, options: { sweepIntervalMs?: number } = {}): Harness {
  const clock = { ms: Date.parse('2026-12-01T09:00:00Z') };
  const metrics = createMetrics();
  const changes: CallChange[] = [];
  const engine = new Engine({
    store: db.store,
    logger: silentLogger(),
    metrics,
    policy: directionPolicy(DEFAULT_DIRECTION_RULES),
    ingest: { batchSize: 500, flushIntervalMs: 10, maxBufferedEvents: 10_000 },
    planOutbox: (change) => {
      changes.push(change);
      return [];
    },
    // The timer stays out of the way unless a test asks for it: the tests run the sweep themselves.
    sweep: { staleAfterMs: STALE_MS, disconnectedGraceMs: GRACE_MS, sweepIntervalMs: options.sweepIntervalMs ?? 3_600_000, now: () => clock.ms },
  });
  return { engine, metrics, changes, clock };
}

async function sweptCount(metrics: EngineMetrics, reason: string): Promise<number> {
  const metric = await metrics.callsSwept.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

async function expectClosedBySweep(db: TestStore, engine: Engine, callId: string, before: CallRecord): Promise<void> {
  const closed = await db.store.getCall(callId);
  expect(closed).toMatchObject({ status: 'finished', closedBy: 'stale', endEstimated: true, from: before.from, to: before.to });
  // The end estimate is the call's last event before the sweep.
  expect(closed?.endedAt).toBe(before.updatedAt);
  expect(closed?.legs.every((l) => l.endedAt !== null)).toBe(true);
  // Stored like the resync's events: the rebuild from events gives the same record.
  expect((await engine.rebuild(callId)).identical).toBe(true);
}

for (const kind of storeKinds()) {
  describe(`stale-call sweep (${kind} database)`, () => {
    let db: TestStore;
    let h: Harness | null = null;

    beforeAll(async () => {
      db = await openTestStore(kind);
    });
    afterEach(async () => {
      await h?.engine.stop();
      h = null;
    });
    afterAll(async () => db?.close());

    it('closes a ringing call of posted events that gets no further event, as an ordinary finish', async () => {
      h = newEngine(db);
      const { engine, clock } = h;
      await engine.start();
      const live: string[] = [];
      engine.hubs.all.attach((frame) => {
        const m = JSON.parse(frame.toString('utf8'));
        live.push(m.type === 'call.merged' ? m.type : `${m.type} ${m.call.id}`);
      }, null);
      await engine.inject(beforeHangup('b_unanswered_caller_hangup'), 'api');
      const before = (await db.store.getCall(RINGING_ID))!;
      expect(before.status).toBe('ringing');

      // The sweep notices the call; its silence counts from then.
      expect((await engine.sweep!.runOnce()).closed).toEqual([]);
      clock.ms += STALE_MS - 1;
      expect((await engine.sweep!.runOnce()).closed).toEqual([]);
      expect((await db.store.getCall(RINGING_ID))?.status).toBe('ringing');

      clock.ms += 1;
      expect((await engine.sweep!.runOnce()).closed).toEqual([{ callId: RINGING_ID, server: 'api', reason: 'stale' }]);
      await expectClosedBySweep(db, engine, RINGING_ID, before);
      expect((await db.store.getCall(RINGING_ID))?.disposition).toBe('cancelled');
      const gone = (await db.store.getEvents(RINGING_ID)).filter((e) => e.type === 'CallflowChannelGone');
      expect(gone.map((e) => (e.event as { reason?: string }).reason)).toEqual(['stale', 'stale']);
      expect(await sweptCount(h.metrics, 'stale')).toBe(1);
      // The live stream and the outbox see the finish like any other.
      expect(live).toContain(`call.finished ${RINGING_ID}`);
      expect(h.changes.some((c) => c.current.id === RINGING_ID && c.current.status === 'finished' && c.previous?.status === 'ringing')).toBe(true);

      // Nothing is left for a later sweep.
      clock.ms += STALE_MS * 10;
      expect((await engine.sweep!.runOnce()).closed).toEqual([]);
    });

    it('runs on its own timer once the engine has started', async () => {
      h = newEngine(db, { sweepIntervalMs: 20 });
      const { engine, clock } = h;
      await engine.start();
      const events = beforeHangup('b_unanswered_caller_hangup').map((e) => retagged(e, 'timer-'));
      await engine.inject(events, 'api');
      const id = `timer-${RINGING_ID}`;
      // Seen by the sweep now; from here on only the engine's timer runs it.
      expect((await engine.sweep!.runOnce()).closed).toEqual([]);
      clock.ms += STALE_MS;
      const closed = await waitFor(async () => {
        const call = await db.store.getCall(id);
        return call?.status === 'finished' ? call : undefined;
      }, 10_000);
      expect(closed.closedBy).toBe('stale');
    });

    it('closes calls of a server no longer configured, once the grace has passed since the start', async () => {
      // A first run takes a call on server pbx-old and stops with it open.
      const first = newEngine(db);
      await first.engine.start();
      const events = beforeHangup('b_unanswered_caller_hangup').map((e) => retagged(e, 'old-'));
      await first.engine.inject(events, 'pbx-old');
      await first.engine.stop();
      const id = `old-${RINGING_ID}`;
      const before = (await db.store.getCall(id))!;
      expect(before.status).toBe('ringing');

      // The next run has no source for pbx-old: the call is restored, and nothing will ever end it.
      h = newEngine(db);
      const { engine, clock } = h;
      await engine.start();
      // Meanwhile a call posted in this run stays open: it is fed through the API.
      clock.ms += GRACE_MS - 10_000;
      await engine.inject(beforeHangup('b_unanswered_caller_hangup').map((e) => retagged(e, 'new-')), 'pbx-old');
      expect((await engine.sweep!.runOnce()).closed).toEqual([]);
      clock.ms += 9_999;
      expect((await engine.sweep!.runOnce()).closed).toEqual([]);
      clock.ms += 1;
      expect((await engine.sweep!.runOnce()).closed).toEqual([{ callId: id, server: 'pbx-old', reason: 'unconfigured' }]);
      expect((await db.store.getCall(`new-${RINGING_ID}`))?.status).toBe('ringing');
      expect(await sweptCount(h.metrics, 'unconfigured')).toBe(1);
      await expectClosedBySweep(db, engine, id, before);
      expect((await db.store.getEvents(id)).at(-1)?.event).toMatchObject({ type: 'CallflowChannelGone', reason: 'unconfigured' });
    });
  });

  describe(`stale-call sweep with a connected Asterisk (${kind} database)`, () => {
    const fake = new FakeAsterisk({ username: 'test', password: 'test' });
    let db: TestStore;
    let url: string;
    let h: Harness;
    let connection: AriConnection;
    const channelsOf = new Map<string, AriChannel>();

    /** An engine reading the fake Asterisk as server pbx1, started, its first resync done. */
    async function connectedEngine(): Promise<{ h: Harness; connection: AriConnection }> {
      const harness = newEngine(db);
      const { engine } = harness;
      let resyncs = 0;
      const ari: AriConnection = new AriConnection(
        { name: 'pbx1', url, username: 'test', password: 'test', app: 'callflow', subscribeAll: true },
        {
          onEvent: (bytes, at) => engine.acceptBytes(bytes, at, 'pbx1'),
          onConnected: async () => {
            await engine.resync('pbx1', async () => ({ channels: await ari.rest.listChannels(), bridges: await ari.rest.listBridges() }));
            resyncs++;
          },
        },
        { logger: silentLogger(), backoff: { minDelayMs: 20, maxDelayMs: 100 } },
      );
      engine.addConnection(ari, { name: 'pbx1', kind: 'ari', start: () => ari.start(), stop: () => ari.stop(), pause: () => ari.pause(), resume: () => ari.resume() });
      await engine.start();
      await waitFor(async () => (resyncs === 1 ? true : undefined), 10_000);
      return { h: harness, connection: ari };
    }

    beforeAll(async () => {
      ({ url } = await fake.start());
      db = await openTestStore(kind);
      ({ h, connection } = await connectedEngine());
      const events = beforeHangup('c_dial_answered');
      for (const e of events as { channel?: AriChannel }[]) if (e.channel) channelsOf.set(e.channel.id, e.channel);
      fake.send(events);
      await storedEvents(events.length);
    });

    /** Resolves once the store holds `count` events in all (this describe block has a database of its own). */
    const storedEvents = (count: number): Promise<true> => waitFor(async () => ((await db.store.stats()).events === count ? true : undefined), 10_000);
    afterAll(async () => {
      await h?.engine.stop();
      await fake.stop();
      await db?.close();
    });

    const channelRequests = (): string[] => fake.requests.filter((r) => r.path.startsWith('/ari/channels/')).map((r) => `${r.path.slice('/ari/channels/'.length)} ${r.status}`);

    it('keeps a silent call while Asterisk still lists one of its channels, and asks again only after another silence', async () => {
      const { engine, clock } = h;
      expect((await engine.sweep!.runOnce()).asked).toBe(0);
      // Only the last leg is still alive in Asterisk.
      fake.setLiveChannels([channelsOf.get('1795234265.9')!]);
      clock.ms += STALE_MS;
      expect(await engine.sweep!.runOnce()).toEqual({ asked: 1, alive: 1, closed: [] });
      expect(channelRequests()).toEqual(['1795234265.6 404', '1795234265.7 404', '1795234265.8 404', '1795234265.9 200']);
      expect((await db.store.getCall(ANSWERED_ID))?.status).toBe('answered');

      clock.ms += STALE_MS - 1;
      expect((await engine.sweep!.runOnce()).asked).toBe(0);
    });

    it('keeps the call when Asterisk cannot be asked', async () => {
      const { engine, clock } = h;
      fake.setLiveChannels([]);
      fake.refuseConnections(true);
      try {
        clock.ms += 1;
        expect(connection.state).toBe('connected');
        expect(await engine.sweep!.runOnce()).toEqual({ asked: 1, alive: 0, closed: [] });
      } finally {
        fake.refuseConnections(false);
      }
      expect((await db.store.getCall(ANSWERED_ID))?.status).toBe('answered');
    });

    it('closes the call once Asterisk has none of its channels', async () => {
      const { engine } = h;
      const before = (await db.store.getCall(ANSWERED_ID))!;
      expect(await engine.sweep!.runOnce()).toEqual({ asked: 1, alive: 0, closed: [{ callId: ANSWERED_ID, server: 'pbx1', reason: 'stale' }] });
      await expectClosedBySweep(db, engine, ANSWERED_ID, before);
      expect((await db.store.getCall(ANSWERED_ID))?.disposition).toBe('answered');
    });

    it('closes the calls of a server whose socket stays down past the grace', async () => {
      const { engine, clock } = h;
      const events = beforeHangup('b_unanswered_caller_hangup');
      const stored = (await db.store.stats()).events;
      fake.send(events);
      await storedEvents(stored + events.length);
      const before = (await db.store.getCall(RINGING_ID))!;
      expect((await engine.sweep!.runOnce()).closed).toEqual([]);

      fake.refuseConnections(true);
      fake.dropConnections();
      await waitFor(async () => (connection.state !== 'connected' ? true : undefined), 10_000);
      // Down from this sweep on; silence alone closes nothing while Asterisk cannot be asked.
      expect(await engine.sweep!.runOnce()).toEqual({ asked: 0, alive: 0, closed: [] });
      clock.ms += GRACE_MS - 1;
      expect((await engine.sweep!.runOnce()).closed).toEqual([]);
      clock.ms += 1;
      expect((await engine.sweep!.runOnce()).closed).toEqual([{ callId: RINGING_ID, server: 'pbx1', reason: 'disconnected' }]);
      expect(await sweptCount(h.metrics, 'disconnected')).toBe(1);
      await expectClosedBySweep(db, engine, RINGING_ID, before);
    });

    it('keeps the stored record of a swept call whose channels turn out alive after a restart', async () => {
      // The call the grace closed was still going on: Asterisk lists its channels when the next run connects.
      const swept = (await db.store.getCall(RINGING_ID))!;
      const alive = beforeHangup('b_unanswered_caller_hangup').flatMap((e) => (e.channel ? [e.channel as AriChannel] : []));
      fake.setLiveChannels([...new Map(alive.map((c) => [c.id, c])).values()]);
      await h.engine.stop();
      fake.refuseConnections(false);
      ({ h } = await connectedEngine());

      // The resync does not take its channels for a new call (that would replace the record with one made of
      // the found channels alone); the call stays as the sweep left it until Asterisk reports its end.
      expect(await db.store.getCall(RINGING_ID)).toEqual(swept);
      expect((await h.engine.rebuild(RINGING_ID)).identical).toBe(true);
      const hangup = traceEvents('b_unanswered_caller_hangup').filter((e) => e.type === 'ChannelDestroyed');
      const stored = (await db.store.stats()).events;
      fake.send(hangup);
      await storedEvents(stored + hangup.length);
      const ended = await db.store.getCall(RINGING_ID);
      expect(ended).toMatchObject({ status: 'finished', closedBy: 'hangup', endEstimated: false, hangupCause: 16 });
      expect((await h.engine.rebuild(RINGING_ID)).identical).toBe(true);
    });
  });
}

/**
 * The event with every channel id prefixed and its Local channels renamed: the same call under new ids, which
 * the grouping does not join to the original (Local halves pair by name).
 */
function retagged(event: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const text = JSON.stringify(event).replace(/"(\d{10}\.\d+)"/g, `"${prefix}$1"`).replaceAll('@from-test-', `@from-test-${prefix}`);
  return JSON.parse(text) as Record<string, unknown>;
}
