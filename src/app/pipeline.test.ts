import { describe, expect, it } from 'vitest';
import { lateChannel, traceEvents } from '../../test/support/fixtures.ts';
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

describe('Pipeline call lifecycle', () => {
  const GRACE_MS = 10_000;
  const trace = 'a_answer_wait_hangup_channelvars';

  function feed(pipeline: Pipeline, events: unknown[], drainEvery = 1): string[] {
    const types: string[] = [];
    events.forEach((event, i) => {
      expect(pipeline.ingestObject(event, new Date(Date.parse('2026-11-21T08:00:00Z') + i), 'pbx1').ok).toBe(true);
      if ((i + 1) % drainEvery === 0) types.push(...pipeline.drain(1_000).live.map((m) => m.type));
    });
    types.push(...pipeline.drain(1_000).live.map((m) => m.type));
    return types;
  }


  it('announces a call created once and finished once, whatever the batches', () => {
    for (const every of [1, 4, 1000]) {
      const types = feed(new Pipeline({ policy }), traceEvents(trace), every);
      expect(types.filter((t) => t === 'call.created')).toHaveLength(1);
      expect(types.filter((t) => t === 'call.finished')).toHaveLength(1);
      expect(types.at(-1)).toBe('call.finished');
    }
  });

  it('keeps a finished call for the grace period, then forgets it', () => {
    const pipeline = new Pipeline({ policy });
    const events = traceEvents(trace);
    feed(pipeline, events);
    const firstId = (events[0] as { channel: { id: string } }).channel.id;
    expect(pipeline.recordOfChannel('pbx1', firstId)?.status).toBe('finished');
    expect(pipeline.evictFinished(1_000 + GRACE_MS - 1, GRACE_MS)).toBe(0);
    expect(pipeline.recordOfChannel('pbx1', firstId)).not.toBeNull();
    expect(pipeline.evictFinished(1_000 + GRACE_MS, GRACE_MS)).toBe(1);
    expect(pipeline.recordOfChannel('pbx1', firstId)).toBeNull();
  });

  it('keeps a call reopened by a late channel until it finishes again, and announces it finished again', () => {
    const pipeline = new Pipeline({ policy });
    const events = traceEvents(trace);
    feed(pipeline, events);
    const firstId = (events[0] as { channel: { id: string } }).channel.id;
    const linkedId = pipeline.recordOfChannel('pbx1', firstId)!.id;
    expect(feed(pipeline, [lateChannel(linkedId, 'ChannelCreated')])).toEqual(['call.updated']);
    expect(pipeline.recordOfChannel('pbx1', firstId)?.status).not.toBe('finished');
    // Its first finish is past the grace period, but it is open again: kept, and out of the queue.
    expect(pipeline.evictFinished(1_000 + GRACE_MS, GRACE_MS)).toBe(0);
    expect(pipeline.recordOfChannel('pbx1', firstId)).not.toBeNull();
    expect(feed(pipeline, [lateChannel(linkedId, 'ChannelDestroyed')])).toEqual(['call.finished']);
    // Queued again when it finished again (drained at 1,000 like every batch here): gone after the grace.
    expect(pipeline.evictFinished(1_000 + GRACE_MS, GRACE_MS)).toBe(1);
    expect(pipeline.recordOfChannel('pbx1', firstId)).toBeNull();
  });
});
