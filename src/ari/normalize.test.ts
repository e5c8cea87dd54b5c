import { describe, expect, it } from 'vitest';
import { ClipTally, EVENT_LIMITS } from './event-limits.ts';
import { normalizeAriEvent, parseAriEvent, toUtcIso } from './normalize.ts';

const channel = { id: '1.1', name: 'PJSIP/a-00000001', state: 'Ring', caller: { name: 'A', number: '100' }, dialplan: { context: 'c', exten: '200' } };

describe('toUtcIso', () => {
  it.each([
    ['2026-11-21T04:11:05.677+0000', '2026-11-21T04:11:05.677Z'],
    ['2026-11-21T07:11:05.677+0300', '2026-11-21T04:11:05.677Z'],
    ['2026-11-20T23:11:05.677-0500', '2026-11-21T04:11:05.677Z'],
    ['2026-11-21T04:11:05.677+03:00', '2026-11-21T01:11:05.677Z'],
    ['2026-11-21T04:11:05Z', '2026-11-21T04:11:05.000Z'],
  ])('%s → %s', (input, output) => {
    expect(toUtcIso(input)).toBe(output);
  });
  it.each(['yesterday', '2026-13-45T99:00:00.000+0000', '', '2026-11-21 04:11:05'])('rejects %j', (input) => {
    expect(toUtcIso(input)).toBeNull();
  });
  it('gives the same answers whatever came just before (it remembers recent times)', () => {
    const a = '2026-11-21T04:11:05.677+0000';
    const b = '2026-11-21T07:11:05.677+0300';
    const sequence = [a, a, 'yesterday', b, a, 'yesterday', 'yesterday', b, b, a];
    const expected = sequence.map((t) => (t === 'yesterday' ? null : '2026-11-21T04:11:05.677Z'));
    expect(sequence.map((t) => toUtcIso(t))).toEqual(expected);
  });
});

describe('normalizeAriEvent', () => {
  const at = '2026-11-21T00:00:00.000Z';
  it('reads the linkedid from channelvars', () => {
    const e = normalizeAriEvent({ type: 'ChannelCreated', channel: { ...channel, channelvars: { 'CHANNEL(linkedid)': '1.0' } } }, at);
    expect(e.kind).toBe('channel_created');
    if (e.kind === 'channel_created') expect(e.channel.linkedId).toBe('1.0');
  });
  it('files unknown types with a channel as channel updates, and without one as other', () => {
    expect(normalizeAriEvent({ type: 'ChannelTalkingStarted', channel }, at).kind).toBe('channel_update');
    expect(normalizeAriEvent({ type: 'TextMessageReceived' }, at).kind).toBe('other');
    const playback = normalizeAriEvent({ type: 'PlaybackStarted', playback: { id: 'p', target_uri: 'channel:1.1' } }, at);
    expect(playback.kind === 'other' && playback.channelIds).toEqual(['1.1']);
  });
  it("keeps a bridge's class (whether it updates linkedids) and a blind transfer's stand-in channel", () => {
    const entered = normalizeAriEvent({ type: 'ChannelEnteredBridge', channel, bridge: { id: 'b1', bridge_type: 'mixing', bridge_class: 'base' } }, at);
    expect(entered).toMatchObject({ kind: 'bridge_entered', bridgeType: 'mixing', bridgeClass: 'base' });
    const stand = { ...channel, id: '1.9', name: 'Local/102@from-internal-00000001;1' };
    const blind = normalizeAriEvent({ type: 'BridgeBlindTransfer', channel, replace_channel: stand, exten: '102', context: 'from-internal', result: 'Success' }, at);
    expect(blind).toMatchObject({ kind: 'transfer', transferType: 'blind', replacingId: '1.9' });
  });
  it('treats a global variable (no channel) as other', () => {
    expect(normalizeAriEvent({ type: 'ChannelVarset', variable: 'X', value: '1' }, at).kind).toBe('other');
  });
  it("reads a routing step (engine-made) under the caller's channel, its data bounded", () => {
    const step = normalizeAriEvent({ type: 'CallflowRoutingStep', channel_id: '1.1', text: 'IVR Main: pressed 2', step: { kind: 'ivr-choice', digits: '2' } }, at);
    expect(step).toMatchObject({ kind: 'routing_step', channelId: '1.1', text: 'IVR Main: pressed 2', step: { kind: 'ivr-choice', digits: '2' }, answeredBy: null });
    expect(normalizeAriEvent({ type: 'CallflowRoutingStep', channel_id: '1.1', text: 'answered by 102', step: { kind: 'answered' }, answered_by: '102' }, at)).toMatchObject({ answeredBy: '102' });
    const clips = new ClipTally();
    const big = normalizeAriEvent({ type: 'CallflowRoutingStep', channel_id: '1.1', text: 'x', step: { blob: 'y'.repeat(10_000) } }, at, clips);
    expect(big).toMatchObject({ kind: 'routing_step', step: {} });
    expect(clips.total).toBeGreaterThan(0);
    expect(() => normalizeAriEvent({ type: 'CallflowRoutingStep', text: 'no channel' }, at)).toThrow('channel_id');
  });
  it('uses the arrival time when the event has no timestamp', () => {
    expect(normalizeAriEvent({ type: 'StasisEnd', channel }, at).at).toBe(at);
  });
  it.each([
    [{}, 'event.type'],
    [{ type: '' }, 'event.type'],
    [{ type: 'ChannelCreated' }, 'channel must be an object'],
    [{ type: 'ChannelCreated', channel: { name: 'x' } }, 'channel.id'],
    [{ type: 'Dial', peer: 'nope' }, 'peer must be an object'],
    [{ type: 'ChannelEnteredBridge', channel, bridge: {} }, 'bridge.id'],
    [{ type: 'StasisStart', channel, timestamp: 42 }, 'timestamp'],
  ])('rejects %j with a message naming the field', (raw, message) => {
    expect(() => normalizeAriEvent(raw as Record<string, unknown>, at)).toThrow(message);
  });
  it('parseAriEvent rejects non-JSON and non-objects with EVENT_INVALID', () => {
    for (const text of ['{', '[]', '"x"', 'null']) {
      try {
        parseAriEvent(text);
        expect.unreachable();
      } catch (error) {
        expect((error as { code: string }).code).toBe('CF_EVENT_INVALID');
      }
    }
  });
});

describe('normalizeAriEvent bounds (docs/limits.md)', () => {
  const at = '2026-11-21T00:00:00.000Z';
  it('clips long texts, drops out-of-range numbers and counts each', () => {
    const clips = new ClipTally();
    const e = normalizeAriEvent(
      {
        type: 'ChannelDestroyed',
        channel: { ...channel, caller: { name: `${'n'.repeat(300)}`, number: '9'.repeat(500) }, dialplan: { context: 'c'.repeat(200), exten: '1' } },
        cause: 1e308,
        tech_cause: -1,
        cause_txt: '\u{1F4DE}'.repeat(200),
      },
      at,
      clips,
    );
    if (e.kind !== 'channel_destroyed') throw new Error(e.kind);
    expect(e.channel.callerName).toHaveLength(EVENT_LIMITS.name);
    expect(e.channel.callerNumber).toHaveLength(EVENT_LIMITS.number);
    expect(e.channel.context).toHaveLength(EVENT_LIMITS.context);
    expect(e.cause).toBe(0);
    expect(e.techCause).toBeNull();
    // Never half a surrogate pair at the cut.
    expect(e.causeText.length).toBe(EVENT_LIMITS.text);
    expect(e.causeText.codePointAt(e.causeText.length - 2)).toBe(0x1f4de);
    expect(Object.fromEntries(clips.take())).toEqual({ name: 1, number: 1, context: 1, cause: 2, text: 1 });
  });
  it('refuses ids and types over their bound rather than clipping them', () => {
    expect(() => normalizeAriEvent({ type: 'StasisStart', channel: { ...channel, id: 'i'.repeat(EVENT_LIMITS.id + 1) } }, at)).toThrow(/channel.id is longer/);
    expect(() => normalizeAriEvent({ type: 'T'.repeat(EVENT_LIMITS.type + 1) }, at)).toThrow(/event.type is longer/);
    expect(() => normalizeAriEvent({ type: 'ChannelEnteredBridge', channel, bridge: { id: 'b'.repeat(EVENT_LIMITS.id + 1) } }, at)).toThrow(/bridge.id is longer/);
    const linked = normalizeAriEvent({ type: 'ChannelCreated', channel: { ...channel, channelvars: { 'CHANNEL(linkedid)': 'l'.repeat(EVENT_LIMITS.id + 1) } } }, at);
    expect(linked.kind === 'channel_created' && linked.channel.linkedId).toBeNull();
  });
  it('refuses ids the database would store alike: control characters and half surrogate pairs', () => {
    for (const id of ['a\u0000b', '\ud800', '\udfff', 'x\ud800y', 'tab\there', '\u007f']) {
      const bad = JSON.stringify(id);
      expect(() => normalizeAriEvent({ type: 'StasisStart', channel: { ...channel, id } }, at), bad).toThrow(/control characters or broken Unicode/);
      const linked = normalizeAriEvent({ type: 'ChannelCreated', channel: { ...channel, channelvars: { 'CHANNEL(linkedid)': id } } }, at);
      expect(linked.kind === 'channel_created' && linked.channel.linkedId, bad).toBeNull();
    }
    // A whole pair is fine: ids are not limited to ASCII.
    expect(normalizeAriEvent({ type: 'StasisStart', channel: { ...channel, id: 'pbx-\u{1F4DE}.1' } }, at).kind).toBe('stasis_start');
  });
});
