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
          onEvent: (text, at) => engine.acceptRaw(text, at, 'pbx1'),
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
  });
}
