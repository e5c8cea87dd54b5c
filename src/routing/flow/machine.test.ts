import { describe, expect, it } from 'vitest';
import type { Destination } from '../objects/model.ts';
import { TestCall, actionsOf, kindsOf, leftovers, stepsOf, where } from '../test-call.ts';
import {
  announcement,
  conferenceRoom,
  context,
  extension,
  ivrMenu,
  ringGroup,
  schedule,
  snapshot,
  type SnapshotParts,
  voicemailBox,
} from '../test-fixtures.ts';
import { startFlow, step } from './machine.ts';
import { MAX_DESTINATIONS } from './state.ts';

const routed = (destination: Destination | null, parts: SnapshotParts = {}, now?: number) =>
  new TestCall(context(snapshot({ numbers: { '+4930100': destination }, ...parts }), { now }));

describe('starting a flow', () => {
  const cases: { name: string; call: () => TestCall; kinds: string[]; end: string }[] = [
    { name: 'a number nobody routes', call: () => routed(null), kinds: ['number', 'hangup'], end: 'hangup 1: no route for +4930100' },
    { name: 'a number the tenant does not have', call: () => new TestCall(context(snapshot({})), '+4930999'), kinds: ['number', 'hangup'], end: 'hangup 1: no route for +4930999' },
    { name: 'a route to hangup', call: () => routed({ type: 'hangup' }), kinds: ['number', 'hangup'], end: 'hangup 16: route ends the call' },
    { name: 'a route to a deleted object', call: () => routed({ type: 'ivr', id: 'gone' }), kinds: ['number', 'hangup'], end: 'hangup 1: ivr gone not found' },
    { name: 'the AI agent, not built yet', call: () => routed({ type: 'ai-agent', id: 'bot' }), kinds: ['number', 'hangup'], end: 'hangup 16: AI agent not available' },
  ];
  it.each(cases)('$name', ({ call, kinds, end }) => {
    const c = call();
    expect(kindsOf(c.all)).toEqual(kinds);
    expect(where(c)).toBe(end);
    expect(c.all.at(-1)).toEqual({ type: 'done' });
  });

  it('records the dialled number and its destination as the first step', () => {
    const c = routed({ type: 'hangup' });
    expect(stepsOf(c.all)[0]).toEqual({ kind: 'number', number: '+4930100', destination: { type: 'hangup' } });
  });

  it('is deterministic: the same inputs give the same state and commands', () => {
    const ctx = context(snapshot({ numbers: { '+4930100': { type: 'ivr', id: 'm1' } }, ivrMenus: [ivrMenu('m1')] }));
    const started = { type: 'started', channelId: 'caller', from: null, callerName: null, dialed: '+4930100' } as const;
    const a = startFlow('x', started, ctx);
    const b = startFlow('x', started, ctx);
    expect(a).toEqual(b);
    const e = { type: 'playback-finished', playbackId: 'x:p1' } as const;
    expect(step(a.state, e, ctx)).toEqual(step(b.state, e, ctx));
  });

  it('an ended flow ignores every event', () => {
    const c = routed(null);
    const before = c.state;
    expect(c.send({ type: 'dtmf', channelId: 'caller', digit: '1' })).toEqual([]);
    expect(c.send({ type: 'hangup', channelId: 'caller', cause: 16 })).toEqual([]);
    expect(c.state).toBe(before);
  });

  it('a failed command on the caller channel ends the call', () => {
    const c = routed({ type: 'ivr', id: 'm1' }, { ivrMenus: [ivrMenu('m1')] });
    const out = c.send({ type: 'command-failed', channelId: 'caller', reason: 'channel not found' });
    expect(actionsOf(out)).toEqual(['stop-playback f:p1', 'hangup caller 16', 'done']);
    expect(stepsOf(out)).toEqual([{ kind: 'hangup', reason: 'caller channel failed: channel not found' }]);
  });
});

describe('schedules', () => {
  const hours = schedule('s1', { open: { type: 'voicemail', id: 'open' }, closed: { type: 'voicemail', id: 'closed' } });
  const parts = { schedules: [hours], voicemailBoxes: [voicemailBox('open'), voicemailBox('closed')] };
  it.each([
    { at: '2026-03-27T10:00:00Z', branch: 'open', reason: 'open: Fri 09:00-18:00', box: 'voicemail open' },
    { at: '2026-03-27T18:00:00Z', branch: 'closed', reason: 'closed: outside hours', box: 'voicemail closed' },
  ])('at $at the call takes the $branch branch', ({ at, branch, reason, box }) => {
    const c = routed({ type: 'schedule', id: 's1' }, parts, Date.parse(at));
    expect(stepsOf(c.all)[1]).toEqual({ kind: 'schedule', scheduleId: 's1', name: 'Hours s1', branch, reason });
    expect(where(c)).toBe(box);
  });
});

describe('announcements', () => {
  it('plays, then goes on to next', () => {
    const parts = { announcements: [announcement('a1', { type: 'voicemail', id: 'vm1' })], voicemailBoxes: [voicemailBox('vm1')] };
    const c = routed({ type: 'announcement', id: 'a1' }, parts);
    expect(kindsOf(c.all)).toEqual(['number', 'announcement']);
    expect(actionsOf(c.all)).toEqual(['answer caller', 'play f:p1']);
    const out = c.playbackDone();
    expect(kindsOf(out)).toEqual(['voicemail']);
    expect(actionsOf(out)).toEqual(['play f:p2']);
  });
});

describe('the destination bound', () => {
  const loops: { name: string; parts: SnapshotParts; first: Destination; drive: (c: TestCall) => void }[] = [
    {
      name: 'a schedule that routes to itself',
      parts: { schedules: [schedule('s1', { open: { type: 'schedule', id: 's1' }, closed: { type: 'schedule', id: 's1' } })] },
      first: { type: 'schedule', id: 's1' },
      drive: () => {},
    },
    {
      name: 'two extensions forwarding to each other always',
      parts: {
        extensions: [
          extension('e1', '101', { forward: { always: { type: 'extension', id: 'e2' } } }),
          extension('e2', '102', { forward: { always: { type: 'extension', id: 'e1' } } }),
        ],
      },
      first: { type: 'extension', id: 'e1' },
      drive: () => {},
    },
    {
      name: 'announcements in a circle',
      parts: { announcements: [announcement('a1', { type: 'announcement', id: 'a2' }), announcement('a2', { type: 'announcement', id: 'a1' })] },
      first: { type: 'announcement', id: 'a1' },
      drive: (c) => {
        while (c.phase.phase === 'announcement') c.playbackDone();
      },
    },
    {
      name: 'an IVR whose option leads back to itself',
      parts: { ivrMenus: [ivrMenu('m1', { options: { '0': { type: 'ivr', id: 'm1' } } })] },
      first: { type: 'ivr', id: 'm1' },
      drive: (c) => {
        while (c.phase.phase !== 'ended') c.press('0');
      },
    },
  ];
  it.each(loops)('cuts $name after MAX_DESTINATIONS', ({ parts, first, drive }) => {
    const c = routed(first, parts);
    drive(c);
    const steps = stepsOf(c.all);
    const cut = steps.filter((s) => s.kind === 'loop-cut');
    expect(cut).toHaveLength(1);
    expect(steps.at(-1)).toEqual({ kind: 'hangup', reason: `loop cut after ${MAX_DESTINATIONS} destinations` });
    expect(c.state.hops).toBe(MAX_DESTINATIONS + 1);
    expect(c.all.at(-1)).toEqual({ type: 'done' });
  });
});

describe('the caller hanging up in any phase', () => {
  const parts: SnapshotParts = {
    ivrMenus: [ivrMenu('m1', { options: { '1': { type: 'ring-group', id: 'g1' } } })],
    extensions: [extension('e1', '101'), extension('e2', '102')],
    ringGroups: [ringGroup('g1', ['e1', 'e2'], { strategy: 'simultaneous' })],
    voicemailBoxes: [voicemailBox('vm1')],
    conferences: [conferenceRoom('r1', { pinHash: 'hash:1' })],
    announcements: [announcement('a1', { type: 'hangup' })],
  };
  const cases: { phase: string; first: Destination; drive: (c: TestCall) => void }[] = [
    { phase: 'ivr-playing', first: { type: 'ivr', id: 'm1' }, drive: () => {} },
    { phase: 'ivr-collecting', first: { type: 'ivr', id: 'm1' }, drive: (c) => c.playbackDone() },
    { phase: 'ringing', first: { type: 'extension', id: 'e1' }, drive: () => {} },
    { phase: 'ringing', first: { type: 'ivr', id: 'm1' }, drive: (c) => c.press('1') },
    { phase: 'bridged', first: { type: 'ring-group', id: 'g1' }, drive: (c) => c.send({ type: 'answered', channelId: c.legOf('e2') }) },
    { phase: 'voicemail-greeting', first: { type: 'voicemail', id: 'vm1' }, drive: () => {} },
    { phase: 'conference-pin', first: { type: 'conference', id: 'r1' }, drive: (c) => c.playbackDone() },
    { phase: 'in-conference', first: { type: 'conference', id: 'r1' }, drive: (c) => c.press('1#') },
    { phase: 'announcement', first: { type: 'announcement', id: 'a1' }, drive: () => {} },
  ];
  it.each(cases)('in $phase leaves no timer running and no phone ringing', ({ phase, first, drive }) => {
    const c = routed(first, parts);
    drive(c);
    expect(c.phase.phase).toBe(phase);
    const out = c.send({ type: 'hangup', channelId: 'caller', cause: 16 });
    expect(stepsOf(out)).toEqual([{ kind: 'hangup', reason: 'caller hung up' }]);
    expect(out.at(-1)).toEqual({ type: 'done' });
    expect(out.some((x) => x.type === 'hangup' && x.channelId === 'caller')).toBe(false);
    expect(leftovers(c)).toEqual({ timers: [], channels: [] });
    expect(c.phase.phase).toBe('ended');
  });
});

describe('calls from the tenant\'s own phones', () => {
  const config = snapshot({
    numbers: { '+4930100': { type: 'ring-group', id: 'g1' } },
    extensions: [extension('e1', '101'), extension('e2', '102')],
    ringGroups: [ringGroup('g1', ['e1', 'e2'], { name: 'Sales', number: '600' })],
    conferences: [conferenceRoom('r1', { number: '800' })],
  });
  const internalCall = (dialed: string, over: Partial<typeof config> = {}) =>
    startFlow('f', { type: 'started', channelId: 'caller', from: '101', callerName: 'Ann', dialed, internal: true }, context({ ...config, ...over }));

  it('reach extensions, ring groups and conference rooms by internal number', () => {
    expect(internalCall('102').commands.find((c) => c.type === 'originate')).toMatchObject({ endpoint: 'PJSIP/acme-102' });
    expect(internalCall('600').state.phase).toMatchObject({ phase: 'ringing', target: { kind: 'ring-group', groupId: 'g1' } });
    expect(internalCall('800').commands.some((c) => c.type === 'bridge' && c.bridgeId === 'conf:r1')).toBe(true);
  });

  it('go out through the trunk for an outside number, and end for a number that is nothing', () => {
    expect(internalCall('+4930999', { outboundEndpoint: 'trunk' }).commands.find((c) => c.type === 'originate')).toMatchObject({ endpoint: 'PJSIP/+4930999@trunk' });
    expect(internalCall('555').state.phase).toEqual({ phase: 'ended' });
    // A call from outside cannot dial the tenant's internal numbers.
    const outside = startFlow('f', { type: 'started', channelId: 'caller', from: '+4917000', callerName: null, dialed: '102' }, context(config));
    expect(outside.state.phase).toEqual({ phase: 'ended' });
  });
});
