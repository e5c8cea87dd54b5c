import { describe, expect, it } from 'vitest';
import type { CallEvent, ChannelSnapshot } from './events.ts';
import { directionPolicy } from './direction.ts';
import { CallRegistry } from './grouping.ts';
import { toRecord } from './record.ts';

const policy = directionPolicy({ inboundContexts: [], internalContexts: ['from-internal'], trunkEndpoints: ['PJSIP/provider'], extensionPattern: '^\\d{2,5}$' });
const at = '2026-12-05T22:00:00.000Z';

function originated(name: string, dialstring: string): CallEvent[] {
  // An ARI originate: the channel has the caller id it was given (also as connected line) and extension `s`.
  const c: ChannelSnapshot = { id: '100.1', name, state: 'Down', callerNumber: '101', callerName: 'Agent', connectedNumber: '101', connectedName: 'Agent', context: 'from-internal', exten: 's', createdAt: at, linkedId: null };
  return [
    { kind: 'channel_created', type: 'ChannelCreated', at, channel: c },
    { kind: 'dial', type: 'Dial', at, caller: null, peer: c, status: '', dialstring, forward: '' },
    { kind: 'dial', type: 'Dial', at, caller: null, peer: { ...c, state: 'Up' }, status: 'ANSWER', dialstring, forward: '' },
  ];
}

describe('to of an originated call', () => {
  // An endpoint dialled by name is a device of the organisation, not an outside number.
  const cases: [string, string, string, string][] = [
    ['PJSIP/sipp-00000001', 'sipp', 'sipp', 'internal'],
    ['PJSIP/102-00000001', '102', '102', 'internal'],
    ['PJSIP/provider-00000001', '+4930123456@provider', '+4930123456', 'outbound'],
  ];
  for (const [name, dialstring, to, direction] of cases) {
    it(`${dialstring} → ${to}, ${direction}`, () => {
      const registry = new CallRegistry('s');
      let call = null;
      for (const [i, e] of originated(name, dialstring).entries()) call = registry.process(e, i + 1);
      const record = toRecord(call!.state, policy);
      expect(record.from).toBe('101');
      expect(record.to).toBe(to);
      expect(record.direction).toBe(direction);
    });
  }
});

describe('route of a call routed by the engine', () => {
  const caller: ChannelSnapshot = { id: '200.1', name: 'PJSIP/trunk-00000001', state: 'Ring', callerNumber: '+15550001', callerName: 'Carol', connectedNumber: '', connectedName: '', context: 'routed-in', exten: '5551000', createdAt: at, linkedId: null };
  const step = (text: string, answeredBy: string | null = null, kind = 'answered'): CallEvent => ({ kind: 'routing_step', type: 'CallflowRoutingStep', at, channelId: caller.id, text, step: { kind }, answeredBy });

  it('keeps the steps in order and the extension that answered; a call without steps has no route', () => {
    const registry = new CallRegistry('s');
    let call = registry.process({ kind: 'channel_created', type: 'ChannelCreated', at, channel: caller }, 1);
    expect(toRecord(call!.state, policy).route).toBeNull();
    const steps = [step('number 5551000 → IVR Main'), step('IVR Main: pressed 2'), step('ring group Sales: ringing 101, 102'), step('answered by 102', '102')];
    for (const [i, e] of steps.entries()) call = registry.process(e, i + 2);
    expect(toRecord(call!.state, policy).route).toEqual({
      path: ['number 5551000 → IVR Main', 'IVR Main: pressed 2', 'ring group Sales: ringing 101, 102', 'answered by 102'],
      answeredBy: '102',
      recorded: false,
    });
    // A recording marks the route; the path stays where the call went.
    call = registry.process(step('call recorded (the number records its calls)', null, 'recording'), 9);
    expect(toRecord(call!.state, policy).route).toMatchObject({ recorded: true, path: expect.not.arrayContaining(['call recorded (the number records its calls)']) });
    // A later step without an answer keeps who answered.
    call = registry.process(step('hung up: caller'), 10);
    expect(toRecord(call!.state, policy).route?.answeredBy).toBe('102');
  });

  it('keeps only the latest 64 steps of an endless stream', () => {
    const registry = new CallRegistry('s');
    let call = registry.process({ kind: 'channel_created', type: 'ChannelCreated', at, channel: caller }, 1);
    for (let i = 0; i < 200; i++) call = registry.process(step(`step ${i}`), i + 2);
    const path = toRecord(call!.state, policy).route!.path;
    expect(path).toHaveLength(64);
    expect(path[0]).toBe('step 136');
    expect(path[63]).toBe('step 199');
  });
});
