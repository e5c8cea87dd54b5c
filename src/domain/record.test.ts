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
