import { describe, expect, it } from 'vitest';
import { channelsIn, type ChannelJson } from '../../src/sim/ari-json.ts';
import { generateCall, type CallOptions, type GeneratedCall } from '../../src/sim/generate-call.ts';
import { createIdCounter } from '../../src/sim/ids.ts';
import { createRng } from '../../src/sim/rng.ts';
import { loadTemplate, loadTemplates } from '../../src/sim/template-library.ts';
import type { CallTemplate } from '../../src/sim/template-types.ts';

const START_MS = Date.UTC(2026, 2, 3, 9, 30, 0, 250);
const ASTERISK_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;

function options(over: Partial<CallOptions> = {}): CallOptions {
  return {
    rng: createRng(5),
    startMs: START_MS,
    idCounter: createIdCounter(),
    epochSeconds: Math.floor(START_MS / 1000),
    callerNumber: '+15557654321',
    calledNumber: '4242',
    withChannelvars: false,
    ...over,
  };
}

function channelSequence(call: GeneratedCall): Map<string, string[]> {
  const seq = new Map<string, string[]>();
  for (const { event } of call.events) {
    for (const ch of channelsIn(event)) {
      const list = seq.get(ch.id) ?? [];
      list.push(event.type);
      seq.set(ch.id, list);
    }
  }
  return seq;
}

function templateSequence(t: CallTemplate): Map<string, string[]> {
  const seq = new Map<string, string[]>();
  for (const { event } of t.events) {
    for (const ch of channelsIn(event)) {
      const list = seq.get(ch.id) ?? [];
      list.push(event.type as string);
      seq.set(ch.id, list);
    }
  }
  return seq;
}

describe('generateCall', () => {
  it('is deterministic for the same seed, counter and start', () => {
    const t = loadTemplate('dial_answered');
    expect(generateCall(t, options())).toEqual(generateCall(t, options()));
    const other = generateCall(t, options({ rng: createRng(6) }));
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(generateCall(t, options())));
  });

  it.each(loadTemplates().map((t) => [t.name, t] as const))('%s: ids, names and events follow the template', (_n, t) => {
    const call = generateCall(t, options({ withChannelvars: true }));
    const text = JSON.stringify(call.events);
    expect(text).not.toContain('{{');
    expect(call.events).toHaveLength(t.events.length);

    // channel ids: one per template channel, uniqueid-shaped, the first one is the call id
    const seq = channelSequence(call);
    const ids = [...seq.keys()];
    expect(ids).toHaveLength(t.expected.channels);
    expect(ids[0]).toBe(call.callId);
    ids.forEach((id, i) => expect(id).toMatch(new RegExp(`^\\d+\\.${i}$`)));

    // each channel sees the same events, in the same order, as the template's channel in that position
    const expected = [...templateSequence(t).values()];
    expect([...seq.values()]).toEqual(expected);

    const snapshots = new Map<string, ChannelJson>();
    for (const { event } of call.events) for (const ch of channelsIn(event)) snapshots.set(ch.id, ch);
    t.channels.forEach((tc, i) => {
      const ch = snapshots.get(ids[i] as string) as ChannelJson;
      // Asterisk's uniqueid starts with the second the channel was created in
      expect(ch.id.split('.')[0]).toBe(String(Math.floor(Date.parse(ch.creationtime.replace('+0000', 'Z')) / 1000)));
      if (tc.kind === 'local') expect(ch.name).toMatch(new RegExp(`^Local/[^;]+-[0-9a-f]{8};${tc.half}$`));
      else expect(ch.name).toMatch(/^PJSIP\/[^-]+-[0-9a-f]{8}$/);
    });
    // the two halves of a Local pair share one name before `;`
    for (const tc of t.channels) {
      if (tc.kind !== 'local') continue;
      const sibling = t.channels.find((o) => o.kind === 'local' && o.pair === tc.pair && o.half !== tc.half);
      if (!sibling) continue;
      const a = snapshots.get(ids[tc.index] as string)?.name.split(';')[0];
      const b = snapshots.get(ids[sibling.index] as string)?.name.split(';')[0];
      expect(a).toBe(b);
    }

    // every channel is created first and destroyed once
    for (const [id, types] of seq) {
      expect(types[0], id).toBe('ChannelCreated');
      expect(types.filter((x) => x === 'ChannelDestroyed'), id).toHaveLength(1);
    }
  });

  it.each(loadTemplates().map((t) => [t.name, t] as const))('%s: times are Asterisk-shaped and sent in order', (_n, t) => {
    const call = generateCall(t, options());
    let last = -Infinity;
    for (const { atMs, event } of call.events) {
      expect(atMs).toBeGreaterThanOrEqual(last);
      last = atMs;
      expect(event.timestamp).toMatch(ASTERISK_TS);
      for (const ch of channelsIn(event)) expect(ch.creationtime).toMatch(ASTERISK_TS);
    }
    expect(call.events[0]?.atMs).toBe(START_MS);
    expect(call.events[0]?.event.timestamp).toBe('2026-03-03T09:30:00.250+0000');
  });

  it('substitutes the numbers and keeps asterisk_id and application on every event', () => {
    const call = generateCall(
      loadTemplate('dial_answered'),
      options({ callerName: 'Test Person', asteriskId: '02:00:00:00:00:09', application: 'myapp' }),
    );
    const text = JSON.stringify(call.events);
    for (const recorded of ['5554000', '5551234', 'Dave Caller', 'Alice Test', '"200"']) expect(text).not.toContain(recorded);
    const first = call.events[0]?.event.channel as ChannelJson;
    expect(first.name).toMatch(/^Local\/4242@from-test-[0-9a-f]{8};1$/);
    expect(first.dialplan.exten).toBe('4242');
    const callerId = call.events.find((e) => e.event.type === 'ChannelCallerId')?.event.channel as ChannelJson;
    expect(callerId.caller.number).toBe('+15557654321');
    for (const { event } of call.events) expect(event).toMatchObject({ asterisk_id: '02:00:00:00:00:09', application: 'myapp' });
  });

  it('escapes caller names into valid JSON', () => {
    const name = 'Zoë "Z" O\'Neil \\ ✓';
    const call = generateCall(loadTemplate('answered_stasis'), options({ callerName: name }));
    const names = call.events.flatMap(({ event }) => channelsIn(event).map((c) => c.caller.name));
    expect(names).toContain(name);
  });

  it('puts the call linkedid and each channel uniqueid in channelvars, and no channelvars without them', () => {
    for (const t of loadTemplates()) {
      const withVars = generateCall(t, options({ withChannelvars: true }));
      for (const { event } of withVars.events) {
        for (const ch of channelsIn(event)) {
          expect(ch.channelvars?.['CHANNEL(linkedid)'], `${t.name} ${event.type}`).toBe(withVars.callId);
          expect(ch.channelvars?.['CHANNEL(uniqueid)']).toBe(ch.id);
        }
      }
      const plain = generateCall(t, options());
      expect(JSON.stringify(plain.events)).not.toContain('channelvars');
    }
  });

  it('keeps ids unique across calls that share a counter', () => {
    const idCounter = createIdCounter();
    const rng = createRng(9);
    const channelIds = new Set<string>();
    const names = new Set<string>();
    const bridges = new Set<string>();
    let channels = 0;
    for (let i = 0; i < 60; i++) {
      for (const t of loadTemplates()) {
        const call = generateCall(t, options({ rng, idCounter, startMs: START_MS + i * 10 }));
        const seen = new Map<string, ChannelJson>();
        for (const { event } of call.events) {
          for (const ch of channelsIn(event)) seen.set(ch.id, ch);
          const bridge = event.bridge as { id: string } | undefined;
          if (bridge && event.type === 'BridgeCreated') bridges.add(bridge.id);
        }
        channels += seen.size;
        for (const ch of seen.values()) {
          channelIds.add(ch.id);
          names.add(ch.name);
        }
      }
    }
    expect(channelIds.size).toBe(channels);
    expect(names.size).toBe(channels);
    expect(bridges.size).toBe(60 * loadTemplates().filter((t) => t.bridges > 0).length);
    const counters = [...channelIds].map((id) => Number(id.split('.')[1]));
    expect(counters).toEqual([...counters].sort((a, b) => a - b));
  });

  it('stretches ringing and talk to the asked lengths and keeps Dial durations consistent', () => {
    const call = generateCall(loadTemplate('dial_answered'), options({ phaseMs: { ring: 7000, talk: 30_000 } }));
    const ms = (e: { event: { timestamp: string } }) => Date.parse(e.event.timestamp.replace('+0000', 'Z'));
    const firstRinging = call.events.find((e) => e.event.type === 'ChannelStateChange' && (e.event.channel as ChannelJson).state === 'Ringing');
    const firstUp = call.events.find((e) => e.event.type === 'ChannelStateChange' && (e.event.channel as ChannelJson).state === 'Up');
    const firstHangup = call.events.find((e) => e.event.type === 'ChannelHangupRequest');
    const ringMs = ms(firstUp!) - ms(firstRinging!);
    const talkMs = ms(firstHangup!) - ms(firstUp!);
    expect(ringMs).toBeGreaterThanOrEqual(7000);
    expect(ringMs).toBeLessThan(7100);
    expect(talkMs).toBeGreaterThanOrEqual(30_000);
    expect(talkMs).toBeLessThan(30_600);
    // Dial() first clears these variables, then sets them when it returns
    const finalValue = (name: string) =>
      call.events.findLast((e) => e.event.type === 'ChannelVarset' && e.event.variable === name);
    const answeredMs = finalValue('ANSWEREDTIME_MS');
    const answeredS = finalValue('ANSWEREDTIME');
    const measured = Number(answeredMs?.event.value);
    expect(Math.abs(measured - (ms(answeredMs!) - ms(firstUp!)))).toBeLessThan(5);
    expect(Number(answeredS?.event.value)).toBe(Math.floor(measured / 1000));
  });

  it('rejects a bad time scale with a clear error', () => {
    expect(() => generateCall(loadTemplate('dtmf'), options({ timeScale: 0 }))).toThrow(/timeScale/);
    expect(() => generateCall(loadTemplate('dtmf'), options({ phaseMs: { talk: -1 } }))).toThrow(/talk/);
  });
});
