import { describe, expect, it } from 'vitest';
import { parseRoute, routeHref } from '../../web/src/lib/hash-route.ts';
import { countByPresence, PRESENCE_WORDS, routeFull, routeSummary, timeInState } from '../../web/src/lib/presence.ts';
import { parseThemeChoice, resolveTheme } from '../../web/src/lib/theme.ts';
import { contrastRatio } from './support/contrast.ts';

describe('console route', () => {
  it('reads #/console and its wall-board form, and writes them back', () => {
    expect(parseRoute('#/console')).toEqual({ view: 'console', wall: false });
    expect(parseRoute('#/console?wall=1')).toEqual({ view: 'console', wall: true });
    expect(parseRoute('#/console?wall=0')).toEqual({ view: 'console', wall: false });
    expect(routeHref({ view: 'console', wall: true })).toBe('#/console?wall=1');
    expect(routeHref(parseRoute('#/console'))).toBe('#/console');
  });
});

describe('presence words and sums', () => {
  it('says every state in words', () => {
    expect(PRESENCE_WORDS).toEqual({ idle: 'Idle', ringing: 'Ringing', 'in-call': 'In a call', unavailable: 'Unavailable' });
  });

  it('tells the time in a state, or nothing when the phone never changed (or the time is garbage)', () => {
    const now = Date.parse('2026-01-01T10:05:07Z');
    expect(timeInState('2026-01-01T10:00:00Z', now)).toBe('5:07');
    expect(timeInState('2026-01-01T08:00:00Z', now)).toBe('2:05:07');
    // A server clock ahead of the browser's: never a negative time.
    expect(timeInState('2026-01-01T10:06:00Z', now)).toBe('0:00');
    expect(timeInState(null, now)).toBeNull();
    expect(timeInState('yesterday', now)).toBeNull();
  });

  it('counts extensions by state', () => {
    expect(countByPresence([{ state: 'idle' }, { state: 'in-call' }, { state: 'idle' }])).toEqual({ idle: 2, ringing: 0, 'in-call': 1, unavailable: 0 });
    expect(countByPresence([])).toEqual({ idle: 0, ringing: 0, 'in-call': 0, unavailable: 0 });
  });
});

describe('route summaries', () => {
  const route = { path: ['number 5551000 → IVR Main', 'IVR Main: pressed 2', 'ring group Sales: ringing 101, 102', 'answered by 102'] };

  it('shows the latest steps, marking the ones left out', () => {
    expect(routeSummary(route)).toBe('… › ring group Sales: ringing 101, 102 › answered by 102');
    expect(routeSummary(route, 1)).toBe('… › answered by 102');
    expect(routeSummary({ path: ['number 5551000 → IVR Main'] })).toBe('number 5551000 → IVR Main');
    expect(routeSummary({ path: route.path.slice(0, 2) })).toBe('number 5551000 → IVR Main › IVR Main: pressed 2');
  });

  it('is empty for a call the engine did not route', () => {
    expect(routeSummary(null)).toBe('');
    expect(routeSummary({ path: [] })).toBe('');
    expect(routeFull(null)).toBe('');
  });

  it('gives the whole path one step a line', () => {
    expect(routeFull(route).split('\n')).toEqual(route.path);
  });
});

describe('theme choice', () => {
  it('reads a stored choice; anything else follows the system', () => {
    expect(parseThemeChoice('dark')).toBe('dark');
    expect(parseThemeChoice('light')).toBe('light');
    expect(parseThemeChoice('system')).toBe('system');
    expect(parseThemeChoice(null)).toBe('system');
    expect(parseThemeChoice('Dark')).toBe('system');
    expect(parseThemeChoice('sepia')).toBe('system');
  });

  it('resolves System by the preference, and Light / Dark regardless of it', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
  });
});

describe('contrast (the browser tests\' readability check)', () => {
  it('matches WCAG ratios', () => {
    expect(contrastRatio('rgb(0, 0, 0)', 'rgb(255, 255, 255)')).toBeCloseTo(21, 5);
    expect(contrastRatio('rgb(255, 255, 255)', 'rgb(255, 255, 255)')).toBeCloseTo(1, 5);
    // #767676 on white: the classic 4.54:1.
    expect(contrastRatio('rgba(118, 118, 118, 1)', 'rgb(255, 255, 255)')).toBeCloseTo(4.54, 1);
  });
});
