import { describe, expect, it } from 'vitest';
import type { CallEvent, ChannelSnapshot } from './events.ts';
import { directionPolicy } from './direction.ts';
import { CallRegistry, type CallHandle } from './grouping.ts';
import { toRecord } from './record.ts';

// Grouping by Asterisk's linkedid when channels change it: a bridge gives its channels the oldest linkedid
// among them (bridge_channel_update_linkedids); channelvars show the new value on later events.

const policy = directionPolicy({ inboundContexts: [], internalContexts: [], trunkEndpoints: [], extensionPattern: '^\\d{2,5}$' });
const at = '2026-12-05T22:00:00.000Z';

function ch(id: string, name: string, linkedId: string | null = null): ChannelSnapshot {
  return { id, name, state: 'Up', callerNumber: '', callerName: '', connectedNumber: '', connectedName: '', context: 'x', exten: 's', createdAt: at, linkedId };
}
const created = (c: ChannelSnapshot): CallEvent => ({ kind: 'channel_created', type: 'ChannelCreated', at, channel: c });
const update = (c: ChannelSnapshot): CallEvent => ({ kind: 'channel_update', type: 'ChannelVarset', at, channel: c });
const enter = (c: ChannelSnapshot, bridgeType = 'mixing', bridgeClass = 'stasis'): CallEvent => ({ kind: 'bridge_entered', type: 'ChannelEnteredBridge', at, channel: c, bridgeId: 'b1', bridgeType, bridgeClass });

/** Each call the registry holds, as [call id, its channel ids], sorted. */
function partition(registry: CallRegistry): [string, string[]][] {
  return [...registry.calls()]
    .map((h): [string, string[]] => [toRecord(h.state, policy).id, h.state.legs.map((l) => l.channelId)])
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

function run(events: CallEvent[]): { registry: CallRegistry; changed: CallHandle[] } {
  const registry = new CallRegistry('s');
  const changed: CallHandle[] = [];
  events.forEach((e, i) => registry.process(e, i + 1, changed));
  return { registry, changed };
}

describe('channels that change linkedid', () => {
  const callerHalf = ch('100.1', 'Local/100@in-00000001;1');
  const inbound = ch('100.2', 'Local/100@in-00000001;2');
  const media = ch('100.3', 'UnicastRTP/127.0.0.1:4000-0x1');
  const legB = ch('100.4', 'Local/200@out-00000002;1');
  const legBTwin = ch('100.5', 'Local/200@out-00000002;2');

  it('without channelvars, a lone channel bridged with an older call joins it, and its own call is merged away', () => {
    const { registry, changed } = run([created(callerHalf), created(inbound), created(media), enter(inbound), enter(media)]);
    expect(partition(registry)).toEqual([['100.1', ['100.1', '100.2', '100.3']]]);
    expect(changed).toHaveLength(1);
    expect(changed[0]!.mergedInto).toBe(registry.callOfChannel('100.1'));
  });

  it('without channelvars, only the bridged half of a Local pair moves; the other half stays a call of its own', () => {
    const { registry, changed } = run([created(callerHalf), created(inbound), created(legB), created(legBTwin), enter(inbound), enter(legB)]);
    // Its linkedid (100.4) is not known from its own events, so its id is its oldest remaining channel.
    expect(partition(registry)).toEqual([
      ['100.1', ['100.1', '100.2', '100.4']],
      ['100.5', ['100.5']],
    ]);
    expect(changed.map((h) => h.mergedInto)).toEqual([null]);
    // The moved channel's events follow it: one ChannelCreated and its ChannelEnteredBridge.
    expect(registry.takeMoves().map((m) => [m.channelId, m.into === registry.callOfChannel('100.1')])).toEqual([['100.4', true]]);
    expect(registry.callOfChannel('100.5')!.state.eventCount).toBe(1);
    expect(registry.callOfChannel('100.1')!.state.eventCount).toBe(5);
  });

  it('the older linkedid wins whichever channel enters the bridge first', () => {
    const { registry } = run([created(callerHalf), created(inbound), created(media), enter(media), enter(inbound)]);
    expect(partition(registry)).toEqual([['100.1', ['100.1', '100.2', '100.3']]]);
  });

  it('a ConfBridge (class base) changes no linkedid, though it mixes', () => {
    const { registry, changed } = run([created(callerHalf), created(inbound), created(media), enter(inbound, 'mixing', 'base'), enter(media, 'mixing', 'base')]);
    expect(partition(registry)).toEqual([
      ['100.1', ['100.1', '100.2']],
      ['100.3', ['100.3']],
    ]);
    expect(changed).toEqual([]);
  });

  it('a basic bridge (Dial, Queue) does, as an ARI mixing bridge does', () => {
    const { registry } = run([created(callerHalf), created(inbound), created(media), enter(inbound, 'mixing', 'basic'), enter(media, 'mixing', 'basic')]);
    expect(partition(registry)).toEqual([['100.1', ['100.1', '100.2', '100.3']]]);
  });

  it('a holding bridge changes no linkedid', () => {
    const { registry } = run([created(callerHalf), created(inbound), created(media), enter(inbound, 'holding'), enter(media, 'holding')]);
    expect(partition(registry)).toEqual([
      ['100.1', ['100.1', '100.2']],
      ['100.3', ['100.3']],
    ]);
  });

  it('with channelvars, a channel moves when its events carry the new linkedid, and only then', () => {
    const a = ch('100.1', 'PJSIP/a-00000001', '100.1');
    const b = ch('100.4', 'Local/200@out-00000002;1', '100.4');
    const bTwin = ch('100.5', 'Local/200@out-00000002;2', '100.4');
    const registry = new CallRegistry('s');
    const changed: CallHandle[] = [];
    [created(a), created(b), created(bTwin), enter(a)].forEach((e, i) => registry.process(e, i + 1, changed));
    // A snapshot still carrying the old linkedid (published before the push) does not move it.
    registry.process(update(b), 5, changed);
    expect(partition(registry)).toEqual([
      ['100.1', ['100.1']],
      ['100.4', ['100.4', '100.5']],
    ]);
    registry.process(enter({ ...b, linkedId: '100.1' }), 6, changed);
    expect(partition(registry)).toEqual([
      ['100.1', ['100.1', '100.4']],
      ['100.4', ['100.5']],
    ]);
    // Its linkedid is known, so it stays its id after its oldest channel left.
    expect(registry.callOfChannel('100.5')!.state.linkedId).toBe('100.4');
  });

  it('with channelvars, a call whose every channel moved is merged into the call they went to', () => {
    const a = ch('100.1', 'PJSIP/a-00000001', '100.1');
    const m = ch('100.3', 'UnicastRTP/127.0.0.1:4000-0x1', '100.3');
    const registry = new CallRegistry('s');
    const changed: CallHandle[] = [];
    [created(a), created(m), enter(a), enter({ ...m, linkedId: '100.1' })].forEach((e, i) => registry.process(e, i + 1, changed));
    expect(partition(registry)).toEqual([['100.1', ['100.1', '100.3']]]);
    expect(changed).toHaveLength(1);
    expect(changed[0]!.mergedInto).toBe(registry.callOfChannel('100.1'));
  });
});

describe('an attended transfer as a phone does it (REFER with Replaces)', () => {
  // Call 1: customer C and the agent's first line A1 (linkedid 200.1). Call 2: the agent's second line A2 calls
  // colleague B (linkedid 200.3). The transfer bridges C with B; the agent's lines leave their bridges first.
  const c = ch('200.1', 'PJSIP/trunk-00000001');
  const a1 = ch('200.2', 'PJSIP/101-00000002');
  const a2 = ch('200.3', 'PJSIP/101-00000003');
  const b = ch('200.4', 'PJSIP/102-00000004');
  const left = (x: ChannelSnapshot, bridgeId: string): CallEvent => ({ kind: 'bridge_left', type: 'ChannelLeftBridge', at, channel: x, bridgeId });
  const into = (x: ChannelSnapshot, bridgeId: string): CallEvent => ({ kind: 'bridge_entered', type: 'ChannelEnteredBridge', at, channel: x, bridgeId, bridgeType: 'mixing', bridgeClass: 'basic' });
  const dialled = (caller: ChannelSnapshot, peer: ChannelSnapshot): CallEvent => ({ kind: 'dial', type: 'Dial', at, caller, peer, status: 'ANSWER', dialstring: '102', forward: '' });
  const before: CallEvent[] = [created(c), created(a1), into(c, 'b1'), into(a1, 'b1'), created(a2), created(b), dialled(a2, b), into(a2, 'b2'), into(b, 'b2'), left(a1, 'b1'), left(a2, 'b2')];

  it('the target joining the transferee moves alone; the consult line stays in its own call', () => {
    const { registry } = run([...before, left(b, 'b2'), into(b, 'b1')]);
    expect(partition(registry)).toEqual([
      ['200.1', ['200.1', '200.2', '200.4']],
      ['200.3', ['200.3']],
    ]);
  });

  it('the same when the transferee is the one that moves to the target bridge (the older linkedid wins)', () => {
    const { registry } = run([...before, left(c, 'b1'), into(c, 'b2')]);
    expect(partition(registry)).toEqual([
      ['200.1', ['200.1', '200.2', '200.4']],
      ['200.3', ['200.3']],
    ]);
  });
});

describe('a blind transfer that puts a Local channel in the transferer\'s place', () => {
  // Asterisk requests Local/<exten>@<context> with the transferer as requestor: both halves have the call's
  // linkedid from their creation, though no event says so until BridgeBlindTransfer names the stand-in.
  const caller = ch('300.1', 'PJSIP/trunk-00000001');
  const transferer = ch('300.2', 'PJSIP/101-00000002');
  const standIn = ch('300.5', 'Local/102@from-internal-00000003;1');
  const standInTwin = ch('300.6', 'Local/102@from-internal-00000003;2');
  const transfer: CallEvent = { kind: 'transfer', type: 'BridgeBlindTransfer', at, channels: [transferer, caller, standIn], transferType: 'blind', result: 'Success', target: '102@from-internal', replacingId: standIn.id };
  const dialled: CallEvent = { kind: 'dial', type: 'Dial', at, caller, peer: transferer, status: 'ANSWER', dialstring: '101', forward: '' };
  const start = [created(caller), created(transferer), dialled, enter(caller), enter(transferer), created(standIn), created(standInTwin)];

  for (const [order, events] of [
    ['stand-in bridged first', [...start, enter(standIn), transfer]],
    ['transfer reported first', [...start, transfer, enter(standIn)]],
  ] as const) {
    it(`both halves join the transferer's call (${order})`, () => {
      const { registry } = run([...events]);
      expect(partition(registry)).toEqual([['300.1', ['300.1', '300.2', '300.5', '300.6']]]);
    });
  }
});

describe('a DTMF attended transfer', () => {
  it('the consult channel, named a transfer of the agent in TRANSFERERNAME, is in the call before any bridge', () => {
    const customer = ch('400.1', 'PJSIP/trunk-00000001');
    const agent = ch('400.2', 'PJSIP/101-00000002');
    const consult = ch('400.4', 'Local/102@from-internal-00000003;1');
    const consultTwin = ch('400.5', 'Local/102@from-internal-00000003;2');
    const dialled: CallEvent = { kind: 'dial', type: 'Dial', at, caller: customer, peer: agent, status: 'ANSWER', dialstring: '101', forward: '' };
    const named: CallEvent = { kind: 'variable', type: 'ChannelVarset', at, channel: consult, name: 'TRANSFERERNAME', value: agent.name };
    const { registry } = run([created(customer), created(agent), dialled, created(consult), created(consultTwin), named]);
    expect(partition(registry)).toEqual([['400.1', ['400.1', '400.2', '400.4', '400.5']]]);
  });
});
