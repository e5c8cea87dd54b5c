import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/domain/call.ts';
import { makeCall, makeLeg } from '../support/call-factory.ts';
import { celComplete, celPartition, type CdrRow, type CelEvent } from './support/asterisk-records.ts';
import { compareCalls } from './support/compare-calls.ts';

// The comparator on hand-written CEL/CDR (no Asterisk needed): it must see each kind of difference, or the
// end-to-end tests could pass while the engine is wrong.

const T0 = 1_796_500_000; // seconds

function cel(eventtype: string, at: number, uniqueid: string, linkedid: string, extra: Partial<CelEvent> = {}): CelEvent {
  return { eventtype, eventtime: T0 + at, num: '5550100', exten: '301', context: 'from-sipp', channame: `PJSIP/${uniqueid}`, appname: '', uniqueid, linkedid, peer: '', eventextra: '', ...extra };
}

/** Two channels a and b; b starts in a linkedid of its own and moves to a's when bridged. */
const moved: CelEvent[] = [
  cel('CHAN_START', 0, 'a', 'a'),
  cel('CHAN_START', 1, 'b', 'b'),
  cel('ANSWER', 2, 'a', 'a'),
  cel('BRIDGE_ENTER', 2, 'b', 'a'),
  cel('HANGUP', 5, 'b', 'a'),
  cel('CHAN_END', 5, 'b', 'a'),
  cel('LINKEDID_END', 5, 'b', 'b'),
  cel('HANGUP', 6, 'a', 'a'),
  cel('CHAN_END', 6, 'a', 'a'),
  cel('LINKEDID_END', 6, 'a', 'a'),
];

const cdr: CdrRow[] = [
  { src: '5550100', dst: '301', channel: 'PJSIP/a', dstchannel: 'PJSIP/b', start: T0, answer: T0 + 2, end: T0 + 6, disposition: 'ANSWERED', uniqueid: 'a', linkedid: 'a', sequence: 0 },
];

const iso = (at: number): string => new Date((T0 + at) * 1000).toISOString();

function engineCall(id: string, channels: string[], overrides: Partial<CallRecord> = {}): CallRecord {
  return makeCall({
    id,
    status: 'finished',
    disposition: 'answered',
    from: '5550100',
    to: '301',
    startedAt: iso(0),
    answeredAt: iso(2),
    endedAt: iso(6),
    legs: channels.map((c) => makeLeg({ channelId: c, name: `PJSIP/${c}` })),
    ...overrides,
  });
}

describe('comparing engine calls with CEL/CDR', () => {
  it('partitions channels by their linkedid at their last CEL event', () => {
    expect([...celPartition(moved)].map(([l, set]) => [l, [...set].sort()])).toEqual([['a', ['a', 'b']]]);
    expect(celComplete(moved)).toBe(true);
    expect(celComplete(moved.slice(0, 6))).toBe(false);
  });

  it('finds nothing when the engine agrees', () => {
    const call = engineCall('a', ['a', 'b']);
    const problems = compareCalls({ cel: moved, cdr, callIdOfChannel: new Map([['a', 'a'], ['b', 'a']]), calls: new Map([['a', call]]), expectedTo: () => '301' });
    expect(problems).toEqual([]);
  });

  it('reports a call the engine split where CEL moved the linkedid', () => {
    const calls = new Map([['a', engineCall('a', ['a'])], ['b', engineCall('b', ['b'])]]);
    const problems = compareCalls({ cel: moved, cdr, callIdOfChannel: new Map([['a', 'a'], ['b', 'b']]), calls, expectedTo: () => '301' });
    expect(problems).toEqual([expect.stringContaining('grouping: engine splits it into 2 calls')]);
  });

  it('reports disposition, numbers and times that differ, and channels the engine never stored', () => {
    const call = engineCall('a', ['a'], { disposition: 'busy', answeredAt: null, from: '100', to: '5550100', endedAt: iso(8) });
    const problems = compareCalls({ cel: moved, cdr, callIdOfChannel: new Map([['a', 'a']]), calls: new Map([['a', call]]), expectedTo: () => '301' });
    expect(problems.map((p) => p.replace(/^call a \([^)]*\): /, ''))).toEqual([
      'channel b PJSIP/b: engine has no call for it',
      'disposition: engine=busy (CDR BUSY) asterisk CDR=ANSWERED',
      'answered: engine=false asterisk CDR=true',
      `endedAt: engine=${iso(8)} asterisk CEL=${iso(6)}`,
      'from: engine="100" asterisk CEL caller="5550100"',
      'to: engine="5550100" dialled="301"',
    ]);
  });

  it('allows times within a second of CEL and no more', () => {
    const near = engineCall('a', ['a', 'b'], { startedAt: new Date((T0 + 0.9) * 1000).toISOString() });
    const far = engineCall('a', ['a', 'b'], { startedAt: new Date((T0 + 1.1) * 1000).toISOString() });
    const ids = new Map([['a', 'a'], ['b', 'a']]);
    expect(compareCalls({ cel: moved, cdr, callIdOfChannel: ids, calls: new Map([['a', near]]), expectedTo: () => '301' })).toEqual([]);
    expect(compareCalls({ cel: moved, cdr, callIdOfChannel: ids, calls: new Map([['a', far]]), expectedTo: () => '301' })).toEqual([
      expect.stringContaining('startedAt: engine='),
    ]);
  });
});
