import { describe, expect, it } from 'vitest';
import { makeCall, makeLeg } from '../../test/support/call-factory.ts';
import { MAX_LIVE_LEGS, MAX_LIVE_TEXT } from './live-frame.ts';
import { snapshotFrame } from './live-snapshot.ts';

const HEAD = { stream: 's1', seq: 7 };

describe('snapshotFrame', () => {
  it('carries open calls only, newest first, with every figure the client needs', () => {
    const older = makeCall({ shape: 'ringing', startedAt: '2026-11-21T04:00:00.000Z' });
    const newer = makeCall({ shape: 'in_progress', startedAt: '2026-11-21T04:05:00.000Z' });
    const done = makeCall({ shape: 'answered' });
    const message = JSON.parse(String(snapshotFrame([older, done, newer], { maxCalls: 10, maxBytes: 1 << 20 }, HEAD)));
    expect(message).toEqual({ type: 'snapshot', stream: 's1', seq: 7, openCalls: 2, truncated: false, calls: [newer, older] });
  });

  it('stays within its bytes and calls with thousands of calls of megabyte caller names, and says so', () => {
    const huge = 'N'.repeat(1024 * 1024);
    // One set of legs shared by every call: the test's own memory stays small, the snapshot's work does not.
    const legs = Array.from({ length: 100 }, () => makeLeg({ callerName: huge }));
    const calls = Array.from({ length: 5_000 }, (_v, i) =>
      makeCall({
        shape: 'ringing',
        startedAt: new Date(Date.UTC(2026, 10, 21) + i * 1000).toISOString(),
        from: huge,
        legs,
      }),
    );
    const frame = snapshotFrame(calls, { maxCalls: 1_000, maxBytes: 2 * 1024 * 1024 }, HEAD);
    expect(frame.length).toBeLessThanOrEqual(2 * 1024 * 1024);
    const message = JSON.parse(String(frame));
    expect(message.truncated).toBe(true);
    expect(message.openCalls).toBe(5_000);
    expect(message.calls.length).toBeGreaterThan(10);
    expect(message.calls[0].startedAt).toBe(calls.at(-1)!.startedAt);
    for (const call of message.calls) {
      expect(call.from.length).toBe(MAX_LIVE_TEXT);
      expect(call.legs.length).toBe(MAX_LIVE_LEGS);
      expect(call.legs.every((leg: { callerName: string }) => leg.callerName.length <= MAX_LIVE_TEXT)).toBe(true);
    }

    const few = JSON.parse(String(snapshotFrame(calls, { maxCalls: 3, maxBytes: 64 * 1024 * 1024 }, HEAD)));
    expect(few.calls.length).toBe(3);
    expect(few.truncated).toBe(true);
  });
});
