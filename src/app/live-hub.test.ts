import { describe, expect, it } from 'vitest';
import { makeCall } from '../../test/support/call-factory.ts';
import type { CallRecord } from '../domain/call.ts';
import { LiveHub } from './live-hub.ts';
import type { LiveMessage } from './pipeline.ts';

function hubWith(open: CallRecord[], clock = { ms: 0 }) {
  const hub = new LiveHub({ openCalls: () => open, now: () => clock.ms, replayMessages: 100 });
  return { hub, clock };
}
const updated = (call: CallRecord): LiveMessage => ({ type: 'call.updated', call });
const parse = (frames: Buffer[]) => frames.map((f) => JSON.parse(String(f)));

describe('LiveHub', () => {
  it('numbers every change and hands every subscriber the very same bytes', () => {
    const { hub } = hubWith([]);
    const a: Buffer[] = [];
    const b: Buffer[] = [];
    const first = hub.attach((f) => a.push(f), null);
    hub.attach((f) => b.push(f), null);
    expect(parse(first.opening)).toMatchObject([{ type: 'snapshot', seq: 0, stream: hub.streamId, calls: [] }]);
    hub.publish([updated(makeCall({ id: 'c1' })), { type: 'call.merged', from: 'c2', into: 'c1' }]);
    expect(parse(a)).toMatchObject([{ seq: 1, type: 'call.updated', call: { id: 'c1' } }, { seq: 2, type: 'call.merged', from: 'c2', into: 'c1' }]);
    expect(b[0]).toBe(a[0]);
  });

  it('resumes a returning subscriber with what it missed, and sends one that asks the impossible a resnapshot', () => {
    const { hub } = hubWith([makeCall({ id: 'open', shape: 'ringing' })]);
    const keep = hub.attach(() => undefined, null);
    hub.publish([updated(makeCall({ id: 'c1' }))]);
    hub.publish([updated(makeCall({ id: 'c2' })), updated(makeCall({ id: 'c3' }))]);
    const back = hub.attach(() => undefined, { stream: hub.streamId, since: 1 });
    expect(back.outcome).toBe('resumed');
    expect(parse(back.opening).map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(parse(back.opening)[0]).toEqual({ type: 'resumed', stream: hub.streamId, seq: 1 });

    const stranger = hub.attach(() => undefined, { stream: 'another-process', since: 1 });
    expect(stranger.outcome).toBe('resnapshot');
    expect(parse(stranger.opening)).toMatchObject([
      { type: 'resnapshot', reason: 'stream', seq: 0 },
      { type: 'snapshot', seq: 0, calls: [{ id: 'open' }] },
      { seq: 1 },
      { seq: 2 },
      { seq: 3 },
    ]);
    keep.detach();
  });

  it('stops encoding once nobody has listened for a while; a client back after that gets a snapshot', () => {
    const { hub, clock } = hubWith([]);
    const gone = hub.attach(() => undefined, null);
    gone.detach();
    hub.publish([updated(makeCall({ id: 'c1' }))]);
    expect(hub.replayHeld.messages).toBe(1);
    clock.ms += 61_000;
    hub.publish([updated(makeCall({ id: 'c2' })), updated(makeCall({ id: 'c3' }))]);
    expect(hub.lastSeq).toBe(3);
    expect(hub.replayHeld).toEqual({ messages: 0, bytes: 0 });
    const back = hub.attach(() => undefined, { stream: hub.streamId, since: 1 });
    expect(parse(back.opening)).toMatchObject([{ type: 'resnapshot', reason: 'gap', seq: 3 }, { type: 'snapshot', seq: 3 }]);
  });

  it('builds a fresh snapshot once the reused one is too old', () => {
    const open = [makeCall({ id: 'a', shape: 'ringing' })];
    const { hub, clock } = hubWith(open);
    const first = hub.attach(() => undefined, null);
    open.push(makeCall({ id: 'b', shape: 'ringing' }));
    expect(parse(hub.attach(() => undefined, null).opening)[0].calls.map((c: CallRecord) => c.id)).toEqual(['a']);
    clock.ms += 1_000;
    expect(parse(hub.attach(() => undefined, null).opening)[0].calls.map((c: CallRecord) => c.id).sort()).toEqual(['a', 'b']);
    first.detach();
  });
});
