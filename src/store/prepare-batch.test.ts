import { describe, expect, it } from 'vitest';
import { batchOf, makeCall, makeEventRow, makeLeg, makeOutbox } from '../../test/support/call-factory.ts';
import { prepareBatch, resolveMerges } from './prepare-batch.ts';

describe('resolveMerges', () => {
  it.each([
    ['a chain', [['a', 'b'], ['b', 'c']], { a: 'c', b: 'c' }],
    ['a chain given backwards', [['b', 'c'], ['a', 'b']], { a: 'c', b: 'c' }],
    ['a merge into itself', [['a', 'a']], {}],
    ['a cycle', [['a', 'b'], ['b', 'a']], {}],
    ['the later of two targets', [['a', 'b'], ['a', 'c']], { a: 'c' }],
  ])('resolves %s', (_name, merges, expected) => {
    const resolved = resolveMerges(merges.map(([from, into]) => ({ from: from!, into: into! })));
    expect(Object.fromEntries(resolved)).toEqual(expected);
  });
});

describe('prepareBatch', () => {
  it("sends a moved channel's events to the call it ends in, read after the merges", () => {
    const prepared = prepareBatch(
      batchOf({
        merges: [{ from: 'c', into: 'd' }],
        channelMoves: [
          { channelId: 'x', from: 'a', into: 'b' },
          { channelId: 'x', from: 'b', into: 'c' },
          { channelId: 'y', from: 'a', into: 'a' },
        ],
      }),
    );
    expect(prepared.channelMoves).toEqual([
      { channelId: 'x', from: 'a', into: 'd' },
      { channelId: 'x', from: 'b', into: 'd' },
    ]);
  });

  it('keeps the last snapshot per call, sorted by id, and derives one leg row per channel', () => {
    const early = makeCall({ id: 'b', shape: 'ringing', legs: [makeLeg({ channelId: 'b-1' })] });
    const late = makeCall({ id: 'b', legs: [makeLeg({ channelId: 'b-1', cause: 16 }), makeLeg({ channelId: 'shared' })] });
    const other = makeCall({ id: 'a', server: 'pbx2', legs: [makeLeg({ channelId: 'shared', cause: 17 })] });
    const prepared = prepareBatch(batchOf({ calls: [early, other, late] }));

    expect(prepared.calls).toEqual([other, late]);
    expect(prepared.legs.map((l) => [l.channelId, l.callId, l.cause])).toEqual([
      ['b-1', 'b', 16],
      // Listed by `a` and by the later snapshot of `b`: the later one wins.
      ['shared', 'b', null],
    ]);
  });

  it('files events, calls and outbox rows of absorbed calls under the surviving call', () => {
    const events = [makeEventRow({ callId: 'a', type: 'Dial' }), makeEventRow({ callId: null }), makeEventRow({ callId: 'c' })];
    const prepared = prepareBatch(
      batchOf({
        merges: [{ from: 'a', into: 'b' }, { from: 'b', into: 'c' }],
        events,
        calls: [makeCall({ id: 'a' }), makeCall({ id: 'c' })],
        outbox: [makeOutbox('a'), makeOutbox('c'), makeOutbox('c')],
      }),
    );
    expect(prepared.merges).toEqual([
      { from: 'a', into: 'c' },
      { from: 'b', into: 'c' },
    ]);
    expect(prepared.events.map((e) => e.callId)).toEqual(['c', null, 'c']);
    expect(prepared.events[0]).toEqual({ ...events[0], callId: 'c' });
    expect(prepared.calls.map((c) => c.id)).toEqual(['c']);
    expect(prepared.outbox).toEqual([makeOutbox('c')]);
  });

  it('counts events per type in type order', () => {
    const prepared = prepareBatch(
      batchOf({ events: ['Dial', 'ChannelVarset', 'Dial'].map((type) => makeEventRow({ type })) }),
    );
    expect(prepared.typeCounts).toEqual({ types: ['ChannelVarset', 'Dial'], counts: [1, 2] });
  });
});
