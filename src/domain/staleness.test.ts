import { describe, expect, it } from 'vitest';
import { observeCalls, sweepVerdict, type CallActivity, type ServerReach, type SweepVerdict } from './staleness.ts';

// The stale-call sweep's decision as a table: no clock, no I/O, times in milliseconds of the engine's clock.

const limits = { staleAfterMs: 1_000, disconnectedGraceMs: 5_000 };
const start = 100_000;
const fresh = (activeAtMs: number | null): CallActivity => ({ eventCount: 3, activeAtMs });

describe('sweepVerdict', () => {
  const table: { name: string; call: CallActivity; reach: ServerReach; now: number; verdict: SweepVerdict }[] = [
    // A connected Asterisk is asked about a silent call, never told to close it.
    { name: 'connected, active just now', call: fresh(start + 500), reach: { kind: 'connected' }, now: start + 1_000, verdict: { action: 'keep' } },
    { name: 'connected, silent for just under the limit', call: fresh(start), reach: { kind: 'connected' }, now: start + 999, verdict: { action: 'keep' } },
    { name: 'connected, silent for the limit: ask', call: fresh(start), reach: { kind: 'connected' }, now: start + 1_000, verdict: { action: 'ask' } },
    { name: 'connected, restored call counts from the start of the run', call: fresh(null), reach: { kind: 'connected' }, now: start + 999, verdict: { action: 'keep' } },
    { name: 'connected, restored call silent since the start: ask', call: fresh(null), reach: { kind: 'connected' }, now: start + 1_000, verdict: { action: 'ask' } },
    // A disconnected Asterisk cannot be asked: only the grace closes its calls.
    { name: 'disconnected, stale but within the grace', call: fresh(start), reach: { kind: 'disconnected', sinceMs: start + 100 }, now: start + 5_000, verdict: { action: 'keep' } },
    { name: 'disconnected past the grace', call: fresh(start), reach: { kind: 'disconnected', sinceMs: start + 100 }, now: start + 5_100, verdict: { action: 'close', reason: 'disconnected' } },
    { name: 'disconnected, but events posted under its name since', call: fresh(start + 4_000), reach: { kind: 'disconnected', sinceMs: start }, now: start + 8_999, verdict: { action: 'keep' } },
    { name: 'disconnected, posted events too are past the grace', call: fresh(start + 4_000), reach: { kind: 'disconnected', sinceMs: start }, now: start + 9_000, verdict: { action: 'close', reason: 'disconnected' } },
    { name: 'never connected in this run, restored call', call: fresh(null), reach: { kind: 'disconnected', sinceMs: start }, now: start + 5_000, verdict: { action: 'close', reason: 'disconnected' } },
    // The simulator cannot be asked: silence closes.
    { name: 'unaskable, within the limit', call: fresh(start), reach: { kind: 'unaskable' }, now: start + 999, verdict: { action: 'keep' } },
    { name: 'unaskable, silent for the limit', call: fresh(start), reach: { kind: 'unaskable' }, now: start + 1_000, verdict: { action: 'close', reason: 'stale' } },
    // Posted events and servers no longer configured.
    { name: 'posted events, active', call: fresh(start + 7_000), reach: { kind: 'unconfigured' }, now: start + 7_500, verdict: { action: 'keep' } },
    { name: 'posted events, silent for the limit', call: fresh(start + 7_000), reach: { kind: 'unconfigured' }, now: start + 8_000, verdict: { action: 'close', reason: 'stale' } },
    { name: 'previous run, unconfigured server, within the grace: the stale limit still applies', call: fresh(null), reach: { kind: 'unconfigured' }, now: start + 999, verdict: { action: 'keep' } },
    { name: 'previous run, unconfigured server, past the grace', call: fresh(null), reach: { kind: 'unconfigured' }, now: start + 5_000, verdict: { action: 'close', reason: 'unconfigured' } },
  ];
  for (const row of table) {
    it(row.name, () => {
      expect(sweepVerdict(row.call, row.reach, row.now, start, limits)).toEqual(row.verdict);
    });
  }

  it('a restored call of an unconfigured server with a short stale limit closes as stale first', () => {
    expect(sweepVerdict(fresh(null), { kind: 'unconfigured' }, start + 2_000, start, limits)).toEqual({ action: 'close', reason: 'stale' });
  });
});

describe('observeCalls', () => {
  it('marks new and changed calls active now, keeps unchanged ones, forgets closed ones', () => {
    const known = new Map<string, CallActivity>([
      ['same', { eventCount: 4, activeAtMs: 10 }],
      ['restored', { eventCount: 9, activeAtMs: null }],
      ['changed', { eventCount: 2, activeAtMs: 10 }],
      ['closed', { eventCount: 7, activeAtMs: 10 }],
    ]);
    const next = observeCalls(known, [
      { id: 'same', eventCount: 4 },
      { id: 'restored', eventCount: 9 },
      { id: 'changed', eventCount: 3 },
      { id: 'new', eventCount: 1 },
    ], 50);
    expect(Object.fromEntries(next)).toEqual({
      same: { eventCount: 4, activeAtMs: 10 },
      restored: { eventCount: 9, activeAtMs: null },
      changed: { eventCount: 3, activeAtMs: 50 },
      new: { eventCount: 1, activeAtMs: 50 },
    });
  });
});
