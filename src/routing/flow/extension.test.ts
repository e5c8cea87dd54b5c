import { describe, expect, it } from 'vitest';
import type { Extension, Presence } from '../objects/model.ts';
import { TestCall, actionsOf, kindsOf, stepsOf, where } from '../test-call.ts';
import { context, extension, snapshot, voicemailBox } from '../test-fixtures.ts';

function call(over: Partial<Extension>, presence: Record<string, Presence> = {}, outboundEndpoint: string | null = null): TestCall {
  const config = snapshot({
    numbers: { '+4930100': { type: 'extension', id: 'e101' } },
    extensions: [extension('e101', '101', over), extension('e102', '102')],
    voicemailBoxes: [voicemailBox('vm101')],
    outboundEndpoint,
  });
  return new TestCall(context(config, { presence }));
}

describe('extensions', () => {
  it('rings the phone with the caller unanswered, then answers the caller and bridges', () => {
    const c = call({});
    expect(kindsOf(c.last)).toEqual(['number', 'ring']);
    expect(actionsOf(c.last)).toEqual(['originate f:c1 PJSIP/acme-101 20s', 'timer f:t2 20000ms']);
    expect(c.last).toContainEqual({
      type: 'originate',
      channelId: 'f:c1',
      endpoint: 'PJSIP/acme-101',
      callerId: { name: 'Eve', number: '+4917000' },
      timeoutS: 20,
      extensionId: 'e101',
    });
    expect(actionsOf(c.send({ type: 'ringing', channelId: 'f:c1' }))).toEqual([]);
    const out = c.send({ type: 'answered', channelId: 'f:c1' });
    expect(actionsOf(out)).toEqual(['cancel f:t2', 'answer caller', 'bridge f:b3 caller,f:c1']);
    expect(stepsOf(out)).toEqual([{ kind: 'answered', extensionId: 'e101', channelId: 'f:c1' }]);
    expect(c.phase).toEqual({ phase: 'bridged', bridgeId: 'f:b3', peerChannelId: 'f:c1', extensionId: 'e101' });
  });

  it('ends the call when the member hangs up after the bridge', () => {
    const c = call({});
    c.send({ type: 'answered', channelId: 'f:c1' });
    const out = c.send({ type: 'hangup', channelId: 'f:c1', cause: 16 });
    expect(actionsOf(out)).toEqual(['hangup caller 16', 'done']);
    expect(stepsOf(out)).toEqual([{ kind: 'hangup', reason: 'member hung up' }]);
  });

  it('caller hanging up mid-ring cancels the timer and hangs up the rung phone', () => {
    const c = call({});
    const out = c.send({ type: 'hangup', channelId: 'caller', cause: 16 });
    expect(actionsOf(out)).toEqual(['cancel f:t2', 'hangup f:c1 16', 'done']);
    expect(stepsOf(out)).toEqual([{ kind: 'hangup', reason: 'caller hung up' }]);
    expect(c.send({ type: 'answered', channelId: 'f:c1' })).toEqual([]);
  });

  // What happens: 'start' = decided before ringing; otherwise the ring ends by the timer, busy, or a failure.
  const rules: {
    name: string;
    ext: Partial<Extension>;
    presence?: Presence;
    then: 'start' | 'timer' | 'busy' | 'failed';
    kinds: string[];
    end: string;
  }[] = [
    { name: 'no answer, voicemail box', ext: { voicemailBoxId: 'vm101' }, then: 'timer', kinds: ['no-answer', 'fallback', 'voicemail'], end: 'voicemail vm101' },
    { name: 'no answer, nothing set: hang up', ext: {}, then: 'timer', kinds: ['no-answer', 'hangup'], end: 'hangup 19: Ext 101: no answer' },
    { name: 'no answer, forward rule before voicemail', ext: { voicemailBoxId: 'vm101', forward: { noAnswer: { type: 'extension', id: 'e102' } } }, then: 'timer', kinds: ['no-answer', 'forward', 'ring'], end: 'ring e102' },
    { name: 'forward always, before ringing', ext: { forward: { always: { type: 'extension', id: 'e102' } } }, then: 'start', kinds: ['number', 'forward', 'ring'], end: 'ring e102' },
    { name: 'disabled: unreachable rule', ext: { enabled: false, forward: { unreachable: { type: 'voicemail', id: 'vm101' } } }, then: 'start', kinds: ['number', 'skipped', 'forward', 'voicemail'], end: 'voicemail vm101' },
    { name: 'unavailable: voicemail', ext: { voicemailBoxId: 'vm101' }, presence: 'unavailable', then: 'start', kinds: ['number', 'skipped', 'fallback', 'voicemail'], end: 'voicemail vm101' },
    { name: 'in a call: busy rule', ext: { forward: { busy: { type: 'extension', id: 'e102' } } }, presence: 'in-call', then: 'start', kinds: ['number', 'skipped', 'forward', 'ring'], end: 'ring e102' },
    { name: 'ringing already: busy, nothing set', ext: {}, presence: 'ringing', then: 'start', kinds: ['number', 'skipped', 'hangup'], end: 'hangup 17: Ext 101: busy' },
    { name: 'rejected busy while ringing: busy rule', ext: { forward: { busy: { type: 'voicemail', id: 'vm101' } } }, then: 'busy', kinds: ['skipped', 'forward', 'voicemail'], end: 'voicemail vm101' },
    { name: 'originate failed: unreachable', ext: {}, then: 'failed', kinds: ['skipped', 'hangup'], end: 'hangup 20: Ext 101: unreachable' },
  ];

  it.each(rules)('$name', ({ ext, presence, then, kinds, end }) => {
    const c = call(ext, presence ? { e101: presence } : {});
    let out = c.last;
    if (then === 'timer') out = c.timerFires();
    if (then === 'busy') out = c.send({ type: 'hangup', channelId: 'f:c1', cause: 17 });
    if (then === 'failed') out = c.send({ type: 'command-failed', channelId: 'f:c1', reason: 'endpoint not found' });
    expect(kindsOf(out)).toEqual(kinds);
    if (then === 'timer') expect(actionsOf(out)[0]).toBe('hangup f:c1 19');
    expect(where(c)).toBe(end);
  });
});

describe('external numbers', () => {
  it('dials through the tenant outbound endpoint and bridges on answer', () => {
    const c = call({ forward: { always: { type: 'external', number: '+15550100' } } }, {}, 'acme-trunk');
    expect(kindsOf(c.last)).toEqual(['number', 'forward', 'external']);
    expect(actionsOf(c.last)).toEqual(['originate f:c1 PJSIP/+15550100@acme-trunk 60s', 'timer f:t2 60000ms']);
    const out = c.send({ type: 'answered', channelId: 'f:c1' });
    expect(actionsOf(out)).toEqual(['cancel f:t2', 'answer caller', 'bridge f:b3 caller,f:c1']);
    expect(actionsOf(c.send({ type: 'hangup', channelId: 'f:c1', cause: 16 }))).toEqual(['hangup caller 16', 'done']);
  });

  it('without an outbound endpoint is unreachable', () => {
    const c = call({ forward: { always: { type: 'external', number: '+15550100' } } });
    expect(stepsOf(c.last).at(-1)).toEqual({ kind: 'hangup', reason: 'no outbound endpoint for external numbers' });
    expect(actionsOf(c.last)).toEqual(['hangup caller 20', 'done']);
  });

  it('no answer ends the call', () => {
    const c = call({ forward: { always: { type: 'external', number: '+15550100' } } }, {}, 'acme-trunk');
    expect(actionsOf(c.timerFires())).toEqual(['hangup f:c1 19', 'hangup caller 19', 'done']);
  });
});
