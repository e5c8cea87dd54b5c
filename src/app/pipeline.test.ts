import { describe, expect, it } from 'vitest';
import { traceEvents } from '../../test/support/fixtures.ts';
import { directionPolicy } from '../domain/direction.ts';
import { prepareBatch, type LegRow } from '../store/prepare-batch.ts';
import { Pipeline } from './pipeline.ts';
import { DEFAULT_DIRECTION_RULES } from './replay.ts';

// Leg rows of unchanged legs are left out of write batches; what ends up stored must be exactly what
// writing every leg of every call each time would store.

const policy = directionPolicy(DEFAULT_DIRECTION_RULES);

function storeEveryDrain(trace: string, drainEvery: number): { stored: Map<string, LegRow>; full: Map<string, LegRow>; written: number; possible: number } {
  const pipeline = new Pipeline({ policy });
  const stored = new Map<string, LegRow>();
  const full = new Map<string, LegRow>();
  let written = 0;
  let possible = 0;
  const drain = (): void => {
    const drained = pipeline.drain(Date.now());
    const prepared = prepareBatch(drained.batch);
    const everything = prepareBatch({ ...drained.batch, storedLegs: undefined });
    for (const leg of prepared.legs) stored.set(leg.channelId, leg);
    for (const leg of everything.legs) full.set(leg.channelId, leg);
    written += prepared.legs.length;
    possible += everything.legs.length;
  };
  traceEvents(trace).forEach((event, i) => {
    const result = pipeline.ingestObject(event, new Date(Date.parse('2026-11-21T08:00:00Z') + i), 'pbx1');
    expect(result.ok).toBe(true);
    if ((i + 1) % drainEvery === 0) drain();
  });
  drain();
  return { stored, full, written, possible };
}

describe('Pipeline write batches', () => {
  it.each([
    ['c_dial_answered', 1],
    ['c_dial_answered', 3],
    ['d1_dial_busy', 1],
    ['e_dtmf_varset', 2],
    ['a_answer_wait_hangup', 1],
  ])('%s drained every %i event(s): skipping unchanged legs stores the same leg rows', (trace, every) => {
    const { stored, full, written, possible } = storeEveryDrain(trace, every);
    expect(stored.size).toBeGreaterThan(0);
    expect(stored).toEqual(full);
    // Most events change no leg at all (dialplan steps, variables, DTMF): those rows are not rewritten.
    expect(written).toBeLessThan(possible);
  });
});
