import { describe, expect, it } from 'vitest';
import { channelsIn } from '../../src/sim/ari-json.ts';
import { generateTraffic, trafficLines, type TrafficOptions } from '../../src/sim/traffic.ts';
import { isAppError } from '../../src/errors.ts';

function take<T>(iterable: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const item of iterable) {
    if (out.length >= n) break;
    out.push(item);
  }
  return out;
}

const BASE: TrafficOptions = { seed: 11, calls: 150, concurrency: 20, withChannelvars: true };

describe('generateTraffic', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = [...trafficLines(BASE)];
    expect(a).toEqual([...trafficLines(BASE)]);
    expect(take(trafficLines({ ...BASE, seed: 12 }), 200)).not.toEqual(a.slice(0, 200));
  });

  it('interleaves many calls in time order and never has more than `concurrency` in flight', () => {
    const events = [...generateTraffic(BASE)];
    const firstAt = new Map<string, number>();
    const lastAt = new Map<string, number>();
    events.forEach((e, i) => {
      if (!firstAt.has(e.callId)) firstAt.set(e.callId, i);
      lastAt.set(e.callId, i);
    });
    expect(firstAt.size).toBe(150);
    for (let i = 1; i < events.length; i++) expect(events[i]!.atMs).toBeGreaterThanOrEqual(events[i - 1]!.atMs);

    let inFlight = 0;
    let maxInFlight = 0;
    events.forEach((e, i) => {
      if (firstAt.get(e.callId) === i) inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (lastAt.get(e.callId) === i) inFlight--;
    });
    expect(maxInFlight).toBeLessThanOrEqual(20);
    expect(maxInFlight).toBeGreaterThan(10);
    // interleaved, not call after call: other calls' events fall inside most calls' spans (a busy call lasts milliseconds)
    const overlapped = [...firstAt].filter(([id, first]) =>
      events.slice(first, (lastAt.get(id) as number) + 1).some((e) => e.callId !== id));
    expect(overlapped.length).toBeGreaterThan(120);
  });

  it('gives every call its own channels and the right linkedid on each', () => {
    const owner = new Map<string, string>();
    for (const e of generateTraffic(BASE)) {
      for (const ch of channelsIn(e.event)) {
        const prev = owner.get(ch.id);
        if (prev !== undefined) expect(prev).toBe(e.callId);
        owner.set(ch.id, e.callId);
        expect(ch.channelvars?.['CHANNEL(linkedid)']).toBe(e.callId);
      }
    }
    expect(new Set(owner.values()).size).toBe(150);
  });

  it('mixes scenarios with answered calls the most common, and around 30-95 events per call', () => {
    const perScenario = new Map<string, Set<string>>();
    let events = 0;
    for (const e of generateTraffic({ ...BASE, calls: 400, concurrency: 50 })) {
      events++;
      const calls = perScenario.get(e.scenario) ?? new Set<string>();
      calls.add(e.callId);
      perScenario.set(e.scenario, calls);
    }
    const count = (name: string) => perScenario.get(name)?.size ?? 0;
    expect(perScenario.size).toBeGreaterThanOrEqual(9);
    expect(count('dial_answered')).toBeGreaterThan(count('dial_busy'));
    expect(events / 400).toBeGreaterThan(30);
    expect(events / 400).toBeLessThan(95);
  });

  it('is produced lazily: the first events of a huge run come without building the rest', () => {
    const first = take(generateTraffic({ seed: 1, calls: 1_000_000_000, concurrency: 1000 }), 2000);
    expect(first).toHaveLength(2000);
    expect(new Set(first.map((e) => e.callId)).size).toBeGreaterThan(50);
  });

  it('writes recorded-style lines that wrap the raw event', () => {
    const [line] = take(trafficLines({ ...BASE, startMs: Date.UTC(2026, 4, 1) }, 'recorded'), 1);
    const parsed = JSON.parse(line as string) as { seq: number; recv_ts: string; recv_mono_ms: number; event: { type: string } };
    expect(parsed.seq).toBe(1);
    expect(parsed.event.type).toBe('ChannelCreated');
    expect(Date.parse(parsed.recv_ts)).toBe(Date.UTC(2026, 4, 1) + parsed.recv_mono_ms);
  });

  it('rejects impossible options with a configuration error', () => {
    for (const bad of [{ concurrency: 0 }, { calls: -1 }, { mix: { nonsense: 1 } }, { mix: { dial_busy: 0 } }]) {
      let error: unknown;
      try {
        take(generateTraffic({ ...BASE, ...(bad as Partial<TrafficOptions>) }), 1);
      } catch (e) {
        error = e;
      }
      expect(isAppError(error) && error.code).toBe('CF_CONFIG_INVALID');
    }
  });
});
