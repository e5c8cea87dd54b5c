import { describe, expect, it } from 'vitest';
import { Backoff, backoffCeilingMs, DEFAULT_BACKOFF, reconnectDelayMs, replacedDelayMs } from '../../src/ari/backoff.ts';

const fixed = (value: number) => () => value;

describe('backoffCeilingMs', () => {
  it.each([
    [0, 1_000],
    [1, 2_000],
    [2, 4_000],
    [3, 8_000],
    [4, 16_000],
    [5, 30_000],
    [6, 30_000],
    [1_000, 30_000],
  ])('attempt %i → %i ms with the defaults', (attempt, expected) => {
    expect(backoffCeilingMs(attempt, DEFAULT_BACKOFF)).toBe(expected);
  });
});

describe('reconnectDelayMs', () => {
  it.each([
    // attempt, random, expected: equal jitter in [ceiling/2, ceiling]
    [0, 0, 500],
    [0, 0.5, 750],
    [0, 0.999_999, 1_000],
    [3, 0, 4_000],
    [3, 1, 8_000],
    [10, 0, 15_000],
    [10, 0.5, 22_500],
    // a broken random source cannot push the delay out of bounds
    [2, -3, 2_000],
    [2, 7, 4_000],
    [2, Number.NaN, 2_000],
  ])('attempt %i with random %d → %i ms', (attempt, random, expected) => {
    expect(reconnectDelayMs(attempt, DEFAULT_BACKOFF, fixed(random))).toBe(expected);
  });

  it('stays within growing bounds for any random draw and actually varies', () => {
    const seen = new Set<number>();
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = backoffCeilingMs(attempt, DEFAULT_BACKOFF);
      for (let i = 0; i < 200; i++) {
        const delay = reconnectDelayMs(attempt, DEFAULT_BACKOFF);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
        if (attempt === 4) seen.add(delay);
      }
    }
    expect(seen.size).toBeGreaterThan(50);
  });
});

describe('replacedDelayMs', () => {
  it.each([
    [0, 0, 30_500],
    [0, 1, 31_000],
    [5, 0, 45_000],
    [9, 1, 60_000],
  ])('attempt %i with random %d → %i ms, never below the max delay', (attempt, random, expected) => {
    expect(replacedDelayMs(attempt, DEFAULT_BACKOFF, fixed(random))).toBe(expected);
  });
});

describe('Backoff', () => {
  it('grows per attempt and starts over after reset', () => {
    const backoff = new Backoff({ minDelayMs: 100, maxDelayMs: 1_000 }, fixed(1));
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.nextDelayMs())).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoff.attempts).toBe(6);
    backoff.reset();
    expect(backoff.nextDelayMs()).toBe(100);
  });

  it('shares the attempt count between ordinary and replaced delays', () => {
    const backoff = new Backoff({ minDelayMs: 100, maxDelayMs: 1_000 }, fixed(0));
    expect(backoff.nextReplacedDelayMs()).toBe(1_050);
    expect(backoff.nextReplacedDelayMs()).toBe(1_100);
    expect(backoff.nextDelayMs()).toBe(200);
  });

  it.each([
    [0, 10],
    [-1, 10],
    [100, 50],
    [Number.NaN, 10],
  ])('rejects minDelayMs %d with maxDelayMs %d', (minDelayMs, maxDelayMs) => {
    expect(() => new Backoff({ minDelayMs, maxDelayMs })).toThrow(RangeError);
  });
});
