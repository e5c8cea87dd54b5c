import { describe, expect, it } from 'vitest';
import { formatAsteriskTimestamp, parseAsteriskTimestamp } from '../../src/sim/asterisk-time.ts';
import { createRng } from '../../src/sim/rng.ts';

describe('createRng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 20 }, () => rng.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('keeps values in range', () => {
    const rng = createRng(7);
    const floats = Array.from({ length: 10_000 }, () => rng.next());
    const ints = new Set(Array.from({ length: 10_000 }, () => rng.int(3, 5)));
    expect(floats.every((f) => f >= 0 && f < 1)).toBe(true);
    expect([...ints].sort()).toEqual([3, 4, 5]);
    expect(rng.hex(13)).toMatch(/^[0-9a-f]{13}$/);
    expect(() => rng.pick([])).toThrow(RangeError);
  });

  it('spreads integers evenly enough to drive a scenario mix', () => {
    const rng = createRng(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[rng.int(0, 3)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(600);
  });
});

describe('Asterisk timestamps', () => {
  it('formats exactly like Asterisk (ms precision, offset without colon)', () => {
    const text = formatAsteriskTimestamp(Date.UTC(2026, 10, 21, 4, 10, 47, 359));
    expect(text).toBe('2026-11-21T04:10:47.359+0000');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  });

  it('parses local-zone offsets and rejects other text', () => {
    expect(parseAsteriskTimestamp('2026-11-21T04:10:47.359+0000')).toBe(Date.UTC(2026, 10, 21, 4, 10, 47, 359));
    expect(parseAsteriskTimestamp('2026-11-21T06:10:47.359+0200')).toBe(Date.UTC(2026, 10, 21, 4, 10, 47, 359));
    expect(parseAsteriskTimestamp('2026-11-21T04:10:47.359Z')).toBeNull();
  });
});
