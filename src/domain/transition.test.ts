import { describe, expect, it } from 'vitest';
import type { CallEvent, ChannelSnapshot } from './events.ts';
import { createdAt, destroyedAt, dialAt, goneAt, hangupRequestAt, snapshot, stateAt, trunkPolicy } from '../../test/support/domain-events.ts';
import { directionPolicy } from './direction.ts';
import { CallRegistry, type CallHandle } from './grouping.ts';
import { isFinished, toRecord } from './record.ts';

// Table-driven tests of the call state machine on normalized events: no ARI JSON, no I/O.

const policy = trunkPolicy;

let clock = 0;
const t = (): string => new Date(Date.UTC(2026, 10, 21, 10, 0, 0) + clock++ * 1000).toISOString();

const ch = snapshot;

type Step = (at: string) => CallEvent;
const created = (c: ChannelSnapshot): Step => (at) => createdAt(c, at);
const state = (c: ChannelSnapshot, s: string): Step => (at) => stateAt(c, s, at);
const destroyed = (c: ChannelSnapshot, cause: number, techCause: number | null = null): Step => (at) => destroyedAt(c, cause, techCause, at);
const hangupReq = (c: ChannelSnapshot): Step => (at) => hangupRequestAt(c, 16, at);
const dial = (caller: ChannelSnapshot | null, peer: ChannelSnapshot, status: string, dialstring = 'PJSIP/alice'): Step => (at) => dialAt(caller, peer, status, dialstring, at);
const bridged = (c: ChannelSnapshot, bridgeId: string): Step => (at) => ({ kind: 'bridge_entered', type: 'ChannelEnteredBridge', at, channel: c, bridgeId, bridgeType: 'mixing', bridgeClass: 'basic' });
const gone = (c: ChannelSnapshot): Step => (at) => goneAt(c, null, at);
const swept = (c: ChannelSnapshot): Step => (at) => goneAt(c, 'stale', at);

function run(steps: Step[], rules = policy) {
  const registry = new CallRegistry('pbx1');
  let order = 0;
  let last: CallHandle | null = null;
  for (const step of steps) last = registry.process(step(t()), ++order) ?? last;
  return toRecord(last!.state, rules);
}

const caller = ch('1700000000.1', 'PJSIP/provider-00000001', 'Ring');
const callee = ch('1700000000.2', 'PJSIP/alice-00000002', 'Down', { context: 'from-internal', exten: 's', callerNumber: '5551234' });

describe('dispositions', () => {
  const table: { name: string; steps: Step[]; status: string; disposition: string | null; answered: boolean }[] = [
    {
      name: 'ringing while only created',
      steps: [created(caller)],
      status: 'ringing',
      disposition: null,
      answered: false,
    },
    {
      name: 'answered when the destination answers and the caller goes Up',
      steps: [created(caller), created(callee), dial(caller, callee, ''), state(callee, 'Up'), dial(caller, callee, 'ANSWER'), state(caller, 'Up')],
      status: 'answered',
      disposition: null,
      answered: true,
    },
    {
      name: 'finished answered',
      steps: [created(caller), created(callee), dial(caller, callee, 'ANSWER'), state(caller, 'Up'), destroyed(callee, 16), destroyed(caller, 16)],
      status: 'finished',
      disposition: 'answered',
      answered: true,
    },
    {
      name: 'busy from the dial result even though the last cause is 16',
      steps: [created(caller), created(callee), dial(caller, callee, 'BUSY'), destroyed(callee, 17), destroyed(caller, 16)],
      status: 'finished',
      disposition: 'busy',
      answered: false,
    },
    {
      name: 'no answer',
      steps: [created(caller), created(callee), dial(caller, callee, 'NOANSWER'), destroyed(callee, 0), destroyed(caller, 19)],
      status: 'finished',
      disposition: 'no_answer',
      answered: false,
    },
    {
      name: 'congestion',
      steps: [created(caller), created(callee), dial(caller, callee, 'CONGESTION'), destroyed(callee, 34), destroyed(caller, 34)],
      status: 'finished',
      disposition: 'congestion',
      answered: false,
    },
    {
      name: 'failed when the channel is unavailable',
      steps: [created(caller), created(callee), dial(caller, callee, 'CHANUNAVAIL'), destroyed(callee, 0), destroyed(caller, 16)],
      status: 'finished',
      disposition: 'failed',
      answered: false,
    },
    {
      name: 'cancelled when the caller hangs up during the dial',
      steps: [created(caller), created(callee), dial(caller, callee, 'CANCEL'), destroyed(callee, 0), destroyed(caller, 16)],
      status: 'finished',
      disposition: 'cancelled',
      answered: false,
    },
    {
      name: 'cancelled: SIP CANCEL before any dial (127 / 487)',
      steps: [created(caller), hangupReq(caller), destroyed(caller, 127, 487)],
      status: 'finished',
      disposition: 'cancelled',
      answered: false,
    },
    {
      name: 'busy from the cause when nothing was dialled',
      steps: [created(caller), destroyed(caller, 17)],
      status: 'finished',
      disposition: 'busy',
      answered: false,
    },
    {
      name: 'failed from an unallocated number cause',
      steps: [created(caller), destroyed(caller, 1)],
      status: 'finished',
      disposition: 'failed',
      answered: false,
    },
    {
      name: 'answered by the application (IVR) with no dial',
      steps: [created(caller), state(caller, 'Up'), destroyed(caller, 16)],
      status: 'finished',
      disposition: 'answered',
      answered: true,
    },
    {
      name: 'answered after a first destination was busy and a second answered',
      steps: [
        created(caller),
        created(callee),
        dial(caller, callee, 'BUSY'),
        destroyed(callee, 17),
        created(ch('1700000000.3', 'PJSIP/bob-00000003', 'Down')),
        dial(caller, ch('1700000000.3', 'PJSIP/bob-00000003', 'Down'), 'ANSWER'),
        state(caller, 'Up'),
        destroyed(ch('1700000000.3', 'PJSIP/bob-00000003', 'Up'), 16),
        destroyed(caller, 16),
      ],
      status: 'finished',
      disposition: 'answered',
      answered: true,
    },
    {
      name: 'originate timing out: its own dial says NOANSWER without a hangup first',
      steps: [created(caller), dial(null, caller, 'RINGING'), dial(null, caller, 'NOANSWER'), destroyed(caller, 0)],
      status: 'finished',
      disposition: 'no_answer',
      answered: false,
    },
    {
      name: 'originate hung up while ringing: cancelled, not no answer',
      steps: [created(caller), dial(null, caller, 'RINGING'), hangupReq(caller), dial(null, caller, 'NOANSWER'), destroyed(caller, 16)],
      status: 'finished',
      disposition: 'cancelled',
      answered: false,
    },
    {
      name: 'closed by resync when the channel is gone',
      steps: [created(caller), state(caller, 'Up'), gone(caller)],
      status: 'finished',
      disposition: 'answered',
      answered: true,
    },
    {
      name: 'ringing call closed by the stale-call sweep: cancelled',
      steps: [created(caller), swept(caller)],
      status: 'finished',
      disposition: 'cancelled',
      answered: false,
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const record = run(row.steps);
      expect(record.status).toBe(row.status);
      expect(record.disposition).toBe(row.disposition);
      expect(record.answeredAt !== null).toBe(row.answered);
    });
  }

  it('names what closed the call, and whether its end is an estimate', () => {
    // Two legs of one call (linked by linkedid).
    const a = { ...caller, linkedId: caller.id };
    const b = { ...callee, linkedId: caller.id };
    const table: { name: string; steps: Step[]; closedBy: string | null; endEstimated: boolean }[] = [
      { name: 'open', steps: [created(caller)], closedBy: null, endEstimated: false },
      { name: 'hangup', steps: [created(caller), destroyed(caller, 16)], closedBy: 'hangup', endEstimated: false },
      { name: 'resync', steps: [created(caller), gone(caller)], closedBy: 'resync', endEstimated: true },
      { name: 'sweep', steps: [created(caller), swept(caller)], closedBy: 'stale', endEstimated: true },
      { name: 'one leg hung up, the sweep closed the other', steps: [created(a), created(b), destroyed(b, 16), swept(a)], closedBy: 'stale', endEstimated: true },
      { name: 'resync then sweep', steps: [created(a), created(b), gone(b), swept(a)], closedBy: 'stale', endEstimated: true },
      { name: 'a later hangup keeps the earlier estimate of another leg', steps: [created(a), created(b), gone(b), destroyed(a, 16)], closedBy: 'resync', endEstimated: true },
    ];
    for (const row of table) {
      const record = run(row.steps);
      expect({ name: row.name, closedBy: record.closedBy, endEstimated: record.endEstimated }).toEqual({ name: row.name, closedBy: row.closedBy, endEstimated: row.endEstimated });
    }
  });

  it('a real hangup after the sweep replaces the estimated end', () => {
    const record = run([created(caller), swept(caller), destroyed(caller, 16)]);
    expect(record.closedBy).toBe('hangup');
    expect(record.endEstimated).toBe(false);
    expect(record.hangupCause).toBe(16);
  });
});

describe('direction', () => {
  const table: { name: string; first: ChannelSnapshot; to?: ChannelSnapshot; direction: string }[] = [
    { name: 'trunk endpoint → inbound', first: ch('1.1', 'PJSIP/provider-00000001', 'Ring', { context: 'x' }), direction: 'inbound' },
    { name: 'inbound context → inbound', first: ch('1.1', 'PJSIP/x-00000001', 'Ring', { context: 'from-trunk' }), direction: 'inbound' },
    {
      name: 'internal context to an extension → internal',
      first: ch('1.1', 'PJSIP/alice-00000001', 'Ring', { context: 'from-internal', callerNumber: '101', exten: '102' }),
      direction: 'internal',
    },
    {
      name: 'internal context to a long number → outbound',
      first: ch('1.1', 'PJSIP/alice-00000001', 'Ring', { context: 'from-internal', callerNumber: '101', exten: '0049301234567' }),
      direction: 'outbound',
    },
    {
      name: 'unknown context, external caller to extension → inbound',
      first: ch('1.1', 'PJSIP/x-00000001', 'Ring', { context: 'other', callerNumber: '5551234', exten: '100' }),
      direction: 'inbound',
    },
    {
      name: 'nothing to go by → unknown',
      first: ch('1.1', 'PJSIP/x-00000001', 'Ring', { context: 'other', callerNumber: '', exten: 's' }),
      direction: 'unknown',
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      expect(run([created(row.first)]).direction).toBe(row.direction);
    });
  }

  // Calls dialled out on their own (an originate through ARI or AMI, by us or another application): the
  // originated channel carries only its endpoint's default context (a trunk's is its inbound context).
  const viaTrunk = ch('1.1', 'PJSIP/provider-00000001', 'Down', { context: 'from-trunk', exten: 's', callerNumber: '4930999' });
  const viaCarrier = ch('1.1', 'PJSIP/carrier-00000001', 'Down', { context: 'default', exten: 's', callerNumber: '' });
  const harnessCaller = ch('1.1', 'Local/100@from-test-00000001;1', 'Down', { context: 'from-test', exten: '100', callerNumber: '5551000' });
  const clickToCall = ch('1.1', 'Local/101@from-internal-00000002;1', 'Down', { context: 'from-internal', exten: '101', callerNumber: '' });
  const clickTwin = ch('1.2', 'Local/101@from-internal-00000002;2', 'Ring', { context: 'from-internal', exten: '101', callerNumber: '' });
  const carrierLeg = ch('1.3', 'PJSIP/carrier-00000003', 'Down', { context: 'default', exten: 's', callerNumber: '' });
  const fromTrunk = ch('1.1', 'PJSIP/provider-00000001', 'Ring', { context: 'from-trunk', exten: '+4930999', callerNumber: '+4930123' });
  const employeePhone = ch('1.1', 'PJSIP/101-00000001', 'Down', { context: 'from-internal', exten: 's', callerNumber: '101' });
  const originated: { name: string; steps: Step[]; direction: string; to: string; rules?: Partial<Parameters<typeof directionPolicy>[0]> }[] = [
    {
      name: 'originated through a trunk → outbound, the dialled number is the client',
      steps: [created(viaTrunk), dial(null, viaTrunk, '', '+4930123@provider')],
      direction: 'outbound',
      to: '+4930123',
    },
    {
      name: 'originated to an outside number, no trunk configured → outbound',
      steps: [created(viaCarrier), dial(null, viaCarrier, '', 'carrier/sip:+4930123@carrier.example')],
      direction: 'outbound',
      to: '+4930123',
    },
    {
      name: 'originated to an extension (a harness standing in for an outside caller) → the other rules',
      steps: [created(harnessCaller), dial(null, harnessCaller, '', '100@from-test')],
      direction: 'inbound',
      to: '100',
    },
    {
      name: 'originated through a trunk with the rule off → the trunk rule (inbound); to is still what it was dialled as',
      steps: [created(viaTrunk), dial(null, viaTrunk, '', '+4930123@provider')],
      direction: 'inbound',
      to: '+4930123',
      rules: { originatedOutbound: false },
    },
    {
      name: "an employee's phone rung first, then the client dialled through a carrier nobody configured → outbound",
      steps: [created(clickToCall), dial(null, clickToCall, '', '101@from-internal'), created(clickTwin), created(carrierLeg), dial(clickToCall, carrierLeg, '', 'carrier/4930555')],
      direction: 'outbound',
      to: '4930555',
    },
    {
      name: "an application rings an employee's phone, dials the client on its own and bridges them → outbound",
      steps: [
        created(employeePhone),
        dial(null, employeePhone, '', '101'),
        created(carrierLeg),
        dial(null, carrierLeg, '', '+4930555@carrier'),
        bridged(employeePhone, 'b-1'),
        bridged(carrierLeg, 'b-1'),
      ],
      direction: 'outbound',
      to: '+4930555',
    },
    {
      name: 'an inbound call forwarded to an outside number stays inbound',
      steps: [created(fromTrunk), created(carrierLeg), dial(fromTrunk, carrierLeg, '', 'carrier/4930555')],
      direction: 'inbound',
      to: '+4930999',
    },
  ];
  for (const row of originated) {
    it(row.name, () => {
      const rules = { inboundContexts: ['from-trunk'], internalContexts: ['from-internal'], trunkEndpoints: ['PJSIP/provider'], extensionPattern: '^\\d{2,5}$', ...row.rules };
      const call = run(row.steps, directionPolicy(rules));
      expect([call.direction, call.to]).toEqual([row.direction, row.to]);
    });
  }
});

describe('grouping', () => {
  it('keeps legs in uniqueid order when older channels show up after newer ones', () => {
    const newest = ch('1700000001.2', 'PJSIP/c-00000003', 'Ring', { linkedId: '1700000000.7' });
    const oldest = ch('1700000000.7', 'PJSIP/a-00000001', 'Ring', { linkedId: '1700000000.7' });
    const middle = ch('1700000000.10', 'PJSIP/b-00000002', 'Ring', { linkedId: '1700000000.7' });
    const registry = new CallRegistry('s');
    registry.process(created(newest)(t()), 1);
    // A Dial naming two channels the call does not hold yet adds both legs in one event.
    const call = registry.process(dial(oldest, middle, '')(t()), 2);
    expect(call!.state.legs.map((l) => l.channelId)).toEqual(['1700000000.7', '1700000000.10', '1700000001.2']);
    expect(toRecord(call!.state, policy).id).toBe('1700000000.7');
  });

  it('groups by linkedid when channels carry it, even with no other relation', () => {
    const a = ch('1.10', 'PJSIP/a-00000001', 'Ring', { linkedId: '1.10' });
    const b = ch('1.11', 'PJSIP/b-00000002', 'Down', { linkedId: '1.10' });
    const registry = new CallRegistry('s');
    const first = registry.process(created(a)(t()), 1);
    const second = registry.process(created(b)(t()), 2);
    expect(second).toBe(first);
    expect(toRecord(first!.state, policy).legs.map((l) => l.channelId)).toEqual(['1.10', '1.11']);
  });

  it('never joins channels whose linkedids differ, even when bridged', () => {
    const a = ch('1.10', 'PJSIP/a-00000001', 'Up', { linkedId: '1.10' });
    const b = ch('1.20', 'PJSIP/b-00000002', 'Up', { linkedId: '1.20' });
    const registry = new CallRegistry('s');
    registry.process(created(a)(t()), 1);
    registry.process(created(b)(t()), 2);
    const enter = (c: ChannelSnapshot): CallEvent => ({ kind: 'bridge_entered', type: 'ChannelEnteredBridge', at: t(), channel: c, bridgeId: 'br', bridgeType: 'mixing', bridgeClass: 'stasis' });
    registry.process(enter(a), 3);
    const absorbed: CallHandle[] = [];
    registry.process(enter(b), 4, absorbed);
    expect(absorbed).toEqual([]);
    expect(registry.callOfChannel('1.10')).not.toBe(registry.callOfChannel('1.20'));
  });

  it('does not join calls that meet in a holding bridge', () => {
    const a = ch('1.10', 'PJSIP/a-00000001', 'Up');
    const b = ch('1.20', 'PJSIP/b-00000002', 'Up');
    const registry = new CallRegistry('s');
    registry.process(created(a)(t()), 1);
    registry.process(created(b)(t()), 2);
    const enter = (c: ChannelSnapshot): CallEvent => ({ kind: 'bridge_entered', type: 'ChannelEnteredBridge', at: t(), channel: c, bridgeId: 'hold', bridgeType: 'holding', bridgeClass: 'stasis' });
    registry.process(enter(a), 3);
    const absorbed: CallHandle[] = [];
    registry.process(enter(b), 4, absorbed);
    expect(absorbed).toEqual([]);
  });

  it('pairs Local halves only while the first half is open (a same-named pair later is a new call)', () => {
    const registry = new CallRegistry('s');
    const half1 = ch('1700000000.1', 'Local/200@from-test-00000003;1', 'Down');
    const half2 = ch('1700000000.2', 'Local/200@from-test-00000003;2', 'Ring');
    registry.process(created(half1)(t()), 1);
    const first = registry.process(created(half2)(t()), 2);
    expect(registry.callOfChannel('1700000000.1')).toBe(first);
    registry.process(destroyed(half2, 16)(t()), 3);
    registry.process(destroyed(half1, 16)(t()), 4);
    // After an Asterisk restart the Local counter starts again: the same names, another call.
    const again1 = ch('1700000500.1', 'Local/200@from-test-00000003;1', 'Down');
    const again2 = ch('1700000500.2', 'Local/200@from-test-00000003;2', 'Ring');
    const second = registry.process(created(again1)(t()), 5);
    expect(registry.process(created(again2)(t()), 6)).toBe(second);
    expect(second).not.toBe(first);
    expect(toRecord(second!.state, policy).legs.map((l) => l.channelId)).toEqual(['1700000500.1', '1700000500.2']);
    expect(toRecord(first!.state, policy).status).toBe('finished');
  });

  it('merging keeps the oldest channel as the call id', () => {
    const newer = ch('1700000000.9', 'PJSIP/b-00000009', 'Down');
    const older = ch('1700000000.3', 'PJSIP/a-00000003', 'Ring');
    const registry = new CallRegistry('s');
    registry.process(created(newer)(t()), 1);
    registry.process(created(older)(t()), 2);
    const absorbed: CallHandle[] = [];
    const call = registry.process(dial(newer, older, '')(t()), 3, absorbed);
    expect(absorbed).toHaveLength(1);
    expect(toRecord(call!.state, policy).id).toBe('1700000000.3');
  });
});

describe('isFinished', () => {
  it('agrees with the record status at every step of a call, and holds no channels for unfinished', () => {
    const registry = new CallRegistry('pbx1');
    const steps = [created(caller), state(caller, 'Up'), created(callee), dial(caller, callee, ''), state(callee, 'Up'), hangupReq(callee), destroyed(callee, 16), destroyed(caller, 16)];
    const seen: boolean[] = [];
    let order = 0;
    for (const step of steps) {
      const call = registry.process(step(t()), ++order)!;
      seen.push(isFinished(call.state));
      expect(isFinished(call.state)).toBe(toRecord(call.state, policy).status === 'finished');
    }
    expect(seen).toEqual([false, false, false, false, false, false, false, true]);
    expect(isFinished({ server: 'pbx1', tenantId: 'default', legs: [], dials: [], dialled: [], linkedId: null, eventCount: 0, firstEventAt: t(), lastEventAt: t() })).toBe(false);
  });
});
