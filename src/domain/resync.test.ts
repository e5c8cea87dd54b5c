import { describe, expect, it } from 'vitest';
import type { CallEvent, ChannelSnapshot } from './events.ts';
import { createdAt, destroyedAt, dialAt, goneAt, hangupRequestAt, snapshot, stateAt, trunkPolicy } from '../../test/support/domain-events.ts';
import { CallRegistry, type CallHandle } from './grouping.ts';
import { toRecord } from './record.ts';

// What a resync's engine-made events do to a call, on normalized events: the partial snapshots they carry
// never erase what the call knew, and what the engine could not see is marked as an estimate.

const policy = trunkPolicy;

const T = (s: number) => new Date(Date.UTC(2026, 10, 21, 4, 0, s)).toISOString();

const ch = (id: string, name: string, state: string, extra: Partial<ChannelSnapshot> = {}): ChannelSnapshot =>
  snapshot(id, name, state, { callerName: 'Alice Caller', ...extra });

/** What a resync's or the sweep's snapshot holds at worst: the id and nothing else. */
const bare = (c: ChannelSnapshot): ChannelSnapshot => ({ ...ch(c.id, '', ''), callerNumber: '', callerName: '', context: '', exten: '' });

const created = (c: ChannelSnapshot, s: number): CallEvent => createdAt(c, T(s));
const stateChange = (c: ChannelSnapshot, state: string, s: number): CallEvent => stateAt(c, state, T(s));
const gone = (c: ChannelSnapshot, s: number): CallEvent => goneAt(c, null, T(s));
const found = (c: ChannelSnapshot, s: number): CallEvent => ({ kind: 'channel_update', type: 'CallflowChannelFound', at: T(s), channel: c, foundAtResync: true });
const destroyed = (c: ChannelSnapshot, cause: number, s: number): CallEvent => destroyedAt(c, cause, null, T(s));
const hangupRequest = (c: ChannelSnapshot, cause: number | null, s: number): CallEvent => hangupRequestAt(c, cause, T(s));
const dial = (caller: ChannelSnapshot, peer: ChannelSnapshot, status: string, s: number): CallEvent => dialAt(caller, peer, status, 'PJSIP/alice', T(s));

function run(events: CallEvent[]) {
  const registry = new CallRegistry('pbx1');
  let last: CallHandle | null = null;
  events.forEach((e, i) => (last = registry.process(e, i + 1) ?? last));
  return toRecord(last!.state, policy);
}

const caller = ch('1700000000.1', 'PJSIP/provider-00000001', 'Ring', { connectedNumber: '200' });
const callee = ch('1700000000.2', 'PJSIP/alice-00000002', 'Down', { context: 'from-internal', exten: 's', callerNumber: '5551234', connectedNumber: '200' });

describe('partial snapshots', () => {
  it("a later snapshot's empty fields keep what the leg knew", () => {
    const record = run([created(caller, 0), stateChange(bare(caller), '', 1)]);
    expect(record.from).toBe('5551234');
    expect(record.legs[0]).toMatchObject({ name: caller.name, state: 'Ring', callerNumber: '5551234', callerName: 'Alice Caller', connectedNumber: '200' });
    // A non-empty field still replaces the one known: a caller id can change.
    const changed = run([created(caller, 0), stateChange(bare(caller), '', 1), stateChange({ ...bare(caller), callerNumber: '5559999' }, 'Ringing', 2)]);
    expect(changed.legs[0]).toMatchObject({ state: 'Ringing', callerNumber: '5559999', callerName: 'Alice Caller' });
  });
});

describe('a call closed at resync', () => {
  it('keeps its numbers, direction, legs, disposition and cause when closed with bare snapshots', () => {
    const before = run([created(caller, 0), created(callee, 1), dial(caller, callee, 'BUSY', 3), destroyed(callee, 17, 3)]);
    const record = run([created(caller, 0), created(callee, 1), dial(caller, callee, 'BUSY', 3), destroyed(callee, 17, 3), gone(bare(caller), 9)]);
    expect(record).toMatchObject({
      status: 'finished',
      from: before.from,
      to: before.to,
      direction: before.direction,
      disposition: 'busy',
      hangupCause: 17,
      closedBy: 'resync',
      endEstimated: true,
      endedAt: T(9),
      answeredAt: null,
      answerEstimated: false,
    });
    expect(record.from).toBe('5551234');
    expect(record.legs.map((l) => [l.channelId, l.name, l.callerNumber])).toEqual(before.legs.map((l) => [l.channelId, l.name, l.callerNumber]));
  });
});

describe('a leg being hung up when the resync found it gone', () => {
  const table: { name: string; causes: (number | null)[]; hangupCause: number | null; disposition: string }[] = [
    { name: 'keeps the cause its hangup request gave', causes: [19], hangupCause: 19, disposition: 'no_answer' },
    { name: 'keeps the latest cause that says something', causes: [16, 17, 0], hangupCause: 17, disposition: 'busy' },
    { name: "ignores Asterisk's internal request causes", causes: [32], hangupCause: null, disposition: 'cancelled' },
    { name: 'has no cause without a request that gave one', causes: [null], hangupCause: null, disposition: 'cancelled' },
  ];
  for (const row of table) {
    it(row.name, () => {
      const events = [created(caller, 0), ...row.causes.map((c, i) => hangupRequest(caller, c, 1 + i)), gone(bare(caller), 9)];
      expect(run(events)).toMatchObject({ status: 'finished', closedBy: 'resync', hangupCause: row.hangupCause, disposition: row.disposition, endedAt: T(9), from: '5551234' });
    });
  }
});

describe('a call found at resync', () => {
  it('starts at the channel creation and, found up, is answered then as an estimate', () => {
    const live = ch('1700000100.1', 'PJSIP/provider-00000009', 'Up', { createdAt: T(10) });
    const record = run([found(live, 50)]);
    expect(record).toMatchObject({ status: 'answered', startedAt: T(10), answeredAt: T(10), answerEstimated: true });
    const ended = run([found(live, 50), destroyed(live, 16, 70)]);
    expect(ended).toMatchObject({ status: 'finished', disposition: 'answered', answeredAt: T(10), answerEstimated: true, talkMs: 60_000, endEstimated: false });
  });

  it('found ringing is not answered', () => {
    const live = ch('1700000100.1', 'PJSIP/provider-00000009', 'Ring', { createdAt: T(10) });
    expect(run([found(live, 50)])).toMatchObject({ status: 'ringing', startedAt: T(10), answeredAt: null, answerEstimated: false });
  });

  it('a known ringing channel found up is answered at the found event time, as an estimate', () => {
    const record = run([created(caller, 0), found({ ...caller, state: 'Up' }, 4), destroyed(caller, 16, 10)]);
    expect(record).toMatchObject({ status: 'finished', disposition: 'answered', answeredAt: T(4), answerEstimated: true, talkMs: 6_000 });
  });

  it('a channel the engine saw answered keeps its answer time, not an estimate', () => {
    const record = run([created(caller, 0), stateChange(caller, 'Up', 2), found({ ...caller, state: 'Up' }, 4)]);
    expect(record).toMatchObject({ status: 'answered', answeredAt: T(2), answerEstimated: false });
  });
});
