import { describe, expect, it } from 'vitest';
import type { Presence, RingGroup } from '../objects/model.ts';
import { TestCall, actionsOf, kindsOf, stepsOf, where } from '../test-call.ts';
import { context, extension, ringGroup, snapshot, voicemailBox } from '../test-fixtures.ts';

function call(over: Partial<RingGroup>, presence: Record<string, Presence> = {}): TestCall {
  const config = snapshot({
    numbers: { '+4930100': { type: 'ring-group', id: 'g1' } },
    extensions: [
      extension('e1', '101'),
      extension('e2', '102'),
      extension('e3', '103'),
      extension('e4', '104', { enabled: false }),
      extension('e5', '105', { voicemailBoxId: 'vm5' }),
    ],
    ringGroups: [
      ringGroup('g1', ['e1', 'e2', 'e3'], { fallback: { type: 'voicemail', id: 'vm1' }, ...over }),
      ringGroup('g2', ['e1'], { fallback: { type: 'ring-group', id: 'g1' } }),
    ],
    voicemailBoxes: [voicemailBox('vm1'), voicemailBox('vm5')],
  });
  return new TestCall(context(config, { presence }));
}

/** Extension ids of each 'ring' step so far. */
const rings = (c: TestCall) => stepsOf(c.all).flatMap((s) => (s.kind === 'ring' ? [s.extensionIds.join('+')] : []));
const skipped = (c: TestCall) => stepsOf(c.all).flatMap((s) => (s.kind === 'skipped' ? [`${s.extensionId}:${s.reason}`] : []));

describe('ring groups', () => {
  it('simultaneous: rings everyone; the first answer wins, the others are hung up as answered elsewhere', () => {
    const c = call({ strategy: 'simultaneous' });
    expect(actionsOf(c.last)).toEqual([
      'timer f:t1 120000ms',
      'originate f:c2 PJSIP/acme-101 15s',
      'originate f:c3 PJSIP/acme-102 15s',
      'originate f:c4 PJSIP/acme-103 15s',
      'timer f:t5 15000ms',
    ]);
    const out = c.send({ type: 'answered', channelId: 'f:c3' });
    expect(actionsOf(out)).toEqual([
      'cancel f:t5',
      'cancel f:t1',
      'hangup f:c2 26',
      'hangup f:c4 26',
      'answer caller',
      'bridge f:b6 caller,f:c3',
    ]);
    expect(stepsOf(out)).toEqual([{ kind: 'answered', extensionId: 'e2', channelId: 'f:c3' }]);
  });

  it('simultaneous: a member timeout override sets its ring time and the turn lasts the longest', () => {
    const c = call({ strategy: 'simultaneous', members: [{ extensionId: 'e1', timeoutS: null }, { extensionId: 'e2', timeoutS: 30 }] });
    expect(actionsOf(c.last).slice(1)).toEqual(['originate f:c2 PJSIP/acme-101 15s', 'originate f:c3 PJSIP/acme-102 30s', 'timer f:t4 30000ms']);
  });

  it('simultaneous: a member rejecting leaves the others ringing', () => {
    const c = call({ strategy: 'simultaneous' });
    expect(c.send({ type: 'hangup', channelId: 'f:c2', cause: 21 })).toEqual([]);
    expect(c.legs().map((l) => l.extensionId)).toEqual(['e2', 'e3']);
  });

  it('simultaneous, two turns, nobody answers: rings twice, then the fallback', () => {
    const c = call({ strategy: 'simultaneous', turns: 2 });
    const second = c.timerFires();
    expect(actionsOf(second).slice(0, 3)).toEqual(['hangup f:c2 19', 'hangup f:c3 19', 'hangup f:c4 19']);
    c.timerFires();
    expect(rings(c)).toEqual(['e1+e2+e3', 'e1+e2+e3']);
    expect(kindsOf(c.last)).toEqual(['no-answer', 'fallback', 'voicemail']);
    expect(actionsOf(c.last)).toContain('cancel f:t1');
    expect(where(c)).toBe('voicemail vm1');
  });

  it('sequential: one after another, a rejection moves on at once, then the fallback', () => {
    const c = call({ strategy: 'sequential' });
    expect(c.legs().map((l) => l.extensionId)).toEqual(['e1']);
    c.timerFires();
    c.send({ type: 'hangup', channelId: c.legOf('e2'), cause: 21 });
    expect(where(c)).toBe('ring e3');
    c.timerFires();
    expect(rings(c)).toEqual(['e1', 'e2', 'e3']);
    expect(where(c)).toBe('voicemail vm1');
  });

  it('sequential: a member whose originate fails is passed over at once', () => {
    const c = call({ strategy: 'sequential' });
    const out = c.send({ type: 'command-failed', channelId: c.legOf('e1'), reason: 'endpoint not found' });
    expect(actionsOf(out)).toEqual(['cancel f:t3', 'originate f:c4 PJSIP/acme-102 15s', 'timer f:t5 15000ms']);
    expect(rings(c)).toEqual(['e1', 'e2']);
  });

  it('simultaneous: when every member rejects, the next turn starts at once', () => {
    const c = call({ strategy: 'simultaneous', turns: 2, members: [{ extensionId: 'e1', timeoutS: null }] });
    const out = c.send({ type: 'hangup', channelId: c.legOf('e1'), cause: 21 });
    expect(actionsOf(out)).toEqual(['cancel f:t3', 'originate f:c4 PJSIP/acme-101 15s', 'timer f:t5 15000ms']);
    c.send({ type: 'hangup', channelId: c.legOf('e1'), cause: 21 });
    expect(where(c)).toBe('voicemail vm1');
  });

  it('sequential, two turns: members in order twice', () => {
    const c = call({ strategy: 'sequential', turns: 2 });
    for (let i = 0; i < 6; i += 1) c.timerFires();
    expect(rings(c)).toEqual(['e1', 'e2', 'e3', 'e1', 'e2', 'e3']);
    expect(where(c)).toBe('voicemail vm1');
  });

  const roundRobin: { nextIndex: number; advanced: string; order: string[] }[] = [
    { nextIndex: 0, advanced: 'advanced g1 1', order: ['e1', 'e2', 'e3'] },
    { nextIndex: 1, advanced: 'advanced g1 2', order: ['e2', 'e3', 'e1'] },
    { nextIndex: 2, advanced: 'advanced g1 0', order: ['e3', 'e1', 'e2'] },
    { nextIndex: 7, advanced: 'advanced g1 2', order: ['e2', 'e3', 'e1'] },
  ];
  it.each(roundRobin)('round-robin from nextIndex $nextIndex', ({ nextIndex, advanced, order }) => {
    const c = call({ strategy: 'round-robin', nextIndex });
    expect(actionsOf(c.last)[0]).toBe(advanced);
    c.timerFires();
    c.timerFires();
    expect(rings(c)).toEqual(order);
  });

  const skips: { name: string; over: Partial<RingGroup>; presence: Record<string, Presence>; rings: string[]; skipped: string[] }[] = [
    { name: 'skipBusy skips busy and unavailable members', over: { skipBusy: true }, presence: { e1: 'in-call', e2: 'unavailable' }, rings: ['e3'], skipped: ['e1:busy', 'e2:unavailable'] },
    { name: 'without skipBusy a busy member still rings', over: {}, presence: { e1: 'in-call' }, rings: ['e1'], skipped: [] },
    { name: 'simultaneous with skipBusy rings only the idle', over: { strategy: 'simultaneous', skipBusy: true }, presence: { e2: 'ringing' }, rings: ['e1+e3'], skipped: ['e2:busy'] },
    { name: 'a disabled member is always skipped', over: { members: [{ extensionId: 'e4', timeoutS: null }, { extensionId: 'e2', timeoutS: null }] }, presence: {}, rings: ['e2'], skipped: ['e4:disabled'] },
  ];
  it.each(skips)('$name', ({ over, presence, rings: expected, skipped: expectedSkips }) => {
    const c = call(over, presence);
    expect(rings(c)).toEqual(expected);
    expect(skipped(c)).toEqual(expectedSkips);
  });

  it('everyone busy with skipBusy: straight to the fallback, each member skipped once', () => {
    const c = call({ skipBusy: true, turns: 3 }, { e1: 'in-call', e2: 'in-call', e3: 'unavailable' });
    expect(skipped(c)).toEqual(['e1:busy', 'e2:busy', 'e3:unavailable']);
    expect(kindsOf(c.last)).toEqual(['number', 'skipped', 'skipped', 'skipped', 'no-answer', 'fallback', 'voicemail']);
    expect(actionsOf(c.last)).toContain('cancel f:t1');
  });

  it('totalTimeoutS ends the group whatever the turns', () => {
    const c = call({ turns: 5, totalTimeoutS: 20 });
    c.timerFires();
    expect(where(c)).toBe('ring e2');
    const out = c.timerFires('total');
    expect(actionsOf(out).slice(0, 2)).toEqual(['cancel f:t5', 'hangup f:c4 19']);
    expect(kindsOf(out)).toEqual(['no-answer', 'fallback', 'voicemail']);
  });

  it('a member timer that fires after the answer is ignored', () => {
    const c = call({});
    const timerId = (c.phase as { timerId: string }).timerId;
    c.send({ type: 'answered', channelId: 'f:c2' });
    expect(c.send({ type: 'timer', timerId })).toEqual([]);
    expect(c.phase.phase).toBe('bridged');
  });

  it('caller hanging up mid-ring hangs up every ringing member and cancels both timers', () => {
    const c = call({ strategy: 'simultaneous' });
    const out = c.send({ type: 'hangup', channelId: 'caller', cause: 16 });
    expect(actionsOf(out)).toEqual(['cancel f:t5', 'cancel f:t1', 'hangup f:c2 16', 'hangup f:c3 16', 'hangup f:c4 16', 'done']);
  });

  it('an empty group goes to its fallback', () => {
    const c = call({ members: [] });
    expect(kindsOf(c.last)).toEqual(['number', 'no-answer', 'fallback', 'voicemail']);
  });

  it('fallback chains: group → group → voicemail', () => {
    const config = call({}).ctx.config;
    const c = new TestCall(context({ ...config, numbers: new Map([['+4930200', { tenantId: 't1', number: '+4930200', destination: { type: 'ring-group', id: 'g2' }, record: false }]]) }), '+4930200');
    c.timerFires();
    expect(stepsOf(c.last)[1]).toEqual({ kind: 'fallback', fromType: 'ring-group', fromId: 'g2', destination: { type: 'ring-group', id: 'g1' } });
    for (let i = 0; i < 3; i += 1) c.timerFires();
    expect(rings(c)).toEqual(['e1', 'e1', 'e2', 'e3']);
    expect(where(c)).toBe('voicemail vm1');
  });
});
