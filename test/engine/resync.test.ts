import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriConnection } from '../../src/ari/client.ts';
import type { AriChannel } from '../../src/ari/types.ts';
import { Engine } from '../../src/app/engine.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { createMetrics } from '../../src/app/metrics.ts';
import { DEFAULT_DIRECTION_RULES } from '../../src/app/replay.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import { FakeAsterisk } from '../support/fake-asterisk.ts';
import { traceEvents } from '../support/fixtures.ts';
import { openTestStore, storeKinds, type TestStore } from '../support/test-store.ts';

// A loopback Asterisk drops the events socket mid-call. While it is down one call ends and a new
// channel appears; after the reconnect the engine's resync closes the one and opens the other.

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const liveSipChannel: AriChannel = {
  id: '1795239999.900',
  name: 'PJSIP/sipp-000000aa',
  state: 'Up',
  protocol_id: 'abc@127.0.0.1',
  caller: { name: 'Late Caller', number: '5557777' },
  connected: { name: '', number: '' },
  accountcode: '',
  dialplan: { context: 'from-sip', exten: '100', priority: 2, app_name: 'Stasis', app_data: 'callflow' },
  creationtime: '2026-11-21T04:20:00.000+0000',
  language: 'en',
};

for (const kind of storeKinds()) {
  describe(`resync after a dropped ARI connection (${kind} database)`, () => {
    const fake = new FakeAsterisk({ username: 'test', password: 'test' });
    let db: TestStore;
    let engine: Engine;
    let connection: AriConnection;
    let connects = 0;

    beforeAll(async () => {
      const { url } = await fake.start();
      db = await openTestStore(kind);
      engine = new Engine({
        store: db.store,
        logger: silentLogger(),
        metrics: createMetrics(),
        policy: directionPolicy(DEFAULT_DIRECTION_RULES),
        ingest: { batchSize: 500, flushIntervalMs: 10, maxBufferedEvents: 10_000 },
      });
      connection = new AriConnection(
        { name: 'pbx1', url, username: 'test', password: 'test', app: 'callflow', subscribeAll: true },
        {
          onEvent: (bytes, at) => engine.acceptBytes(bytes, at, 'pbx1'),
          onConnected: async () => {
            await engine.resync('pbx1', async () => ({ channels: await connection.rest.listChannels(), bridges: await connection.rest.listBridges() }));
            connects++; // counted once the resync is durable
          },
        },
        { logger: silentLogger(), backoff: { minDelayMs: 20, maxDelayMs: 100 } },
      );
      engine.addConnection(connection, { name: 'pbx1', kind: 'ari', start: () => connection.start(), stop: () => connection.stop(), pause: () => connection.pause(), resume: () => connection.resume() });
      await engine.start();
      await fake.waitForConnection(1);
      await until(() => connects === 1);
    });

    afterAll(async () => {
      await engine?.stop();
      await fake.stop();
      await db?.close();
    });

    it('closes calls whose channels are gone and opens calls for unknown live channels', async () => {
      const answered = traceEvents('c_dial_answered');
      const ringing = traceEvents('b_unanswered_caller_hangup');
      // First parts: the Dial() call is up and talking; the other call is ringing.
      const cutA = answered.findIndex((e: any) => e.type === 'ChannelHangupRequest');
      const cutB = ringing.findIndex((e: any) => e.type === 'ChannelHangupRequest');
      fake.send(answered.slice(0, cutA));
      fake.send(ringing.slice(0, cutB));
      await until(async () => (await db.store.getCall('1795234256.2'))?.status === 'ringing' && (await db.store.getCall('1795234265.6'))?.status === 'answered');

      const ringingBefore = (await db.store.getCall('1795234256.2'))!;
      expect(ringingBefore.from).not.toBe('');

      // While the socket is down: the ringing call ends unseen, a new SIP channel arrives unseen.
      const aliveOfA = new Map<string, any>();
      for (const e of answered.slice(0, cutA) as any[]) if (e.channel) aliveOfA.set(e.channel.id, e.channel);
      fake.setLiveChannels([...aliveOfA.values(), liveSipChannel]);
      fake.dropConnections();
      await until(() => connects === 2);

      const closed = await db.store.getCall('1795234256.2');
      expect(closed?.status).toBe('finished');
      expect(closed?.closedBy).toBe('resync');
      expect(closed?.endEstimated).toBe(true);
      expect(closed?.disposition).toBe('cancelled');
      // Closing it keeps what the call's legs said of its numbers.
      expect([closed?.from, closed?.to]).toEqual([ringingBefore.from, ringingBefore.to]);
      expect(closed?.legs.map((l) => l.callerNumber)).toEqual(ringingBefore.legs.map((l) => l.callerNumber));

      const kept = await db.store.getCall('1795234265.6');
      expect(kept?.status).toBe('answered');
      expect(kept?.legs.every((l) => l.endedAt === null)).toBe(true);

      const opened = await db.store.getCall(liveSipChannel.id);
      expect(opened?.status).toBe('answered');
      expect(opened?.from).toBe('5557777');

      // The rest of the live call arrives on the new socket and finishes it normally.
      fake.send(answered.slice(cutA));
      await until(async () => (await db.store.getCall('1795234265.6'))?.status === 'finished');
      const finished = await db.store.getCall('1795234265.6');
      expect(finished?.disposition).toBe('answered');
      expect(finished?.closedBy).toBe('hangup');
      expect(finished?.endEstimated).toBe(false);

      // Engine-made resync events are stored, so the rebuild from events still holds.
      const rebuilt = await engine.rebuild('1795234256.2');
      expect(rebuilt.identical).toBe(true);
      const events = await db.store.getEvents('1795234256.2');
      expect(events.some((e) => e.type === 'CallflowChannelGone')).toBe(true);
    });

    it('a second resync with nothing changed changes nothing', async () => {
      const before = await db.store.stats();
      fake.setLiveChannels([liveSipChannel]);
      fake.dropConnections();
      await until(() => connects === 3);
      const after = await db.store.stats();
      expect(after.calls).toBe(before.calls);
      expect((await db.store.getCall(liveSipChannel.id))?.status).toBe('answered');
    });

    it('a call found at reconnect starts at its channel creation and, up, is answered then as an estimate', async () => {
      const opened = (await db.store.getCall(liveSipChannel.id))!;
      expect(opened).toMatchObject({ status: 'answered', startedAt: '2026-11-21T04:20:00.000Z', answeredAt: '2026-11-21T04:20:00.000Z', answerEstimated: true });
      expect((await engine.rebuild(liveSipChannel.id)).identical).toBe(true);
    });

    it('a call closed at reconnect ends at the last event heard before the drop, and keeps its numbers, disposition and cause', async () => {
      const stored = (await db.store.stats()).events;
      // A Dial() that got BUSY; the caller's leg is torn down unseen.
      const busy = traceEvents('d1_dial_busy');
      fake.send(busy.slice(0, -1));
      // A call the engine sees ringing, answered unseen (the next test).
      const ringing = traceEvents('a_answer_wait_hangup');
      const cut = ringing.findIndex((e: any) => e.type === 'ChannelStateChange');
      fake.send(ringing.slice(0, cut));
      // The last event Asterisk sends before the socket drops, later than any call's.
      fake.send({ type: 'DeviceStateChanged', timestamp: '2026-11-21T04:11:30.000+0000', device_state: { name: 'PJSIP/alice', state: 'NOT_INUSE' } });
      await until(async () => (await db.store.stats()).events === stored + busy.length - 1 + cut + 1);
      const before = (await db.store.getCall('1795234271.10'))!;
      expect(before.status).toBe('ringing');

      const upOfA = new Map<string, any>();
      for (const e of ringing.slice(0, cut) as any[]) if (e.channel) upOfA.set(e.channel.id, { ...e.channel, state: 'Up' });
      fake.setLiveChannels([liveSipChannel, ...upOfA.values()]);
      fake.dropConnections();
      await until(() => connects === 4);

      const closed = (await db.store.getCall('1795234271.10'))!;
      expect(closed).toMatchObject({
        status: 'finished',
        closedBy: 'resync',
        endEstimated: true,
        endedAt: '2026-11-21T04:11:30.000Z',
        disposition: 'busy',
        hangupCause: 17,
        from: before.from,
        to: before.to,
        direction: before.direction,
        answeredAt: null,
        answerEstimated: false,
        talkMs: 0,
      });
      expect(closed.from).not.toBe('');
      expect(closed.legs.map((l) => [l.channelId, l.name, l.callerNumber])).toEqual(before.legs.map((l) => [l.channelId, l.name, l.callerNumber]));
      expect((await engine.rebuild('1795234271.10')).identical).toBe(true);
    });

    it('a call seen ringing and found up at reconnect is answered at its last event before the drop, as an estimate', async () => {
      const found = (await db.store.getCall('1795234247.0'))!;
      expect(found).toMatchObject({ status: 'answered', answeredAt: '2026-11-21T04:10:47.360Z', answerEstimated: true });
      // Its hangup arrives on the new socket: a reported end, an estimated answer.
      const ringing = traceEvents('a_answer_wait_hangup');
      fake.send(ringing.slice(ringing.findIndex((e: any) => e.type === 'ChannelHangupRequest')));
      await until(async () => (await db.store.getCall('1795234247.0'))?.status === 'finished');
      const finished = (await db.store.getCall('1795234247.0'))!;
      expect(finished).toMatchObject({
        disposition: 'answered',
        closedBy: 'hangup',
        endEstimated: false,
        answeredAt: '2026-11-21T04:10:47.360Z',
        answerEstimated: true,
        endedAt: '2026-11-21T04:10:49.371Z',
        talkMs: 2011,
        from: '5551000',
      });
      expect((await engine.rebuild('1795234247.0')).identical).toBe(true);
    });
  });
}
