import { describe, expect, it } from 'vitest';
import { fillHours, gridValues, labelEvery, niceCeiling } from '../../web/src/lib/chart-scale.ts';
import { callTone, formatDuration, formatPercent, formatSpan, liveElapsedMs } from '../../web/src/lib/format.ts';
import { callHref, parseRoute, routeHref } from '../../web/src/lib/hash-route.ts';

describe('formatting', () => {
  it('writes durations as clocks and spans in words', () => {
    expect(formatDuration(7_400)).toBe('0:07');
    expect(formatDuration(723_000)).toBe('12:03');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(-5)).toBe('0:00');
    expect(formatDuration(null)).toBe('–');
    expect(formatSpan(850)).toBe('850 ms');
    expect(formatSpan(4_250)).toBe('4.3 s');
    expect(formatSpan(153_000)).toBe('2 min 33 s');
    expect(formatSpan(7_500_000)).toBe('2 h 5 min');
    expect(formatPercent(0.4032)).toBe('40.3%');
    expect(formatPercent(1)).toBe('100%');
  });

  it('ticks ringing from the start and talking from the answer', () => {
    const startedAt = '2026-11-21T04:00:00.000Z';
    const now = Date.parse(startedAt) + 30_000;
    expect(liveElapsedMs({ status: 'ringing', startedAt, answeredAt: null }, now)).toBe(30_000);
    expect(liveElapsedMs({ status: 'answered', startedAt, answeredAt: '2026-11-21T04:00:10.000Z' }, now)).toBe(20_000);
    expect(callTone({ status: 'answered', disposition: null })).toBe('answered');
    expect(callTone({ status: 'finished', disposition: 'busy' })).toBe('busy');
  });
});

describe('chart scale', () => {
  it('rounds maxima up and keeps gridline steps whole', () => {
    expect([0, 0.5, 3, 7, 37, 43, 120, 4_648].map(niceCeiling)).toEqual([1, 1, 5, 10, 50, 50, 200, 5_000]);
    expect(gridValues(50)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(gridValues(200)).toEqual([0, 50, 100, 150, 200]);
    expect(gridValues(2)).toEqual([0, 1, 2]);
    expect(gridValues(1)).toEqual([0, 1]);
    expect(labelEvery(24, 8)).toBe(3);
    expect(labelEvery(6, 8)).toBe(1);
  });
});

describe('fillHours', () => {
  it('lists every hour of the window with zeros for quiet ones, keeping the server buckets', () => {
    const since = Date.parse('2026-11-21T04:30:00.000Z');
    const until = Date.parse('2026-11-21T07:10:00.000Z');
    const busy = { hour: '2026-11-21T06:00:00.000Z', total: 7, answered: 5 };
    expect(fillHours([busy], since, until)).toEqual([
      { hour: '2026-11-21T04:00:00.000Z', total: 0, answered: 0 },
      { hour: '2026-11-21T05:00:00.000Z', total: 0, answered: 0 },
      busy,
      { hour: '2026-11-21T07:00:00.000Z', total: 0, answered: 0 },
    ]);
  });

  it('keeps buckets outside the window rather than dropping data', () => {
    const since = Date.parse('2026-11-21T06:00:00.000Z');
    const early = { hour: '2026-11-21T05:00:00.000Z', total: 1, answered: 0 };
    expect(fillHours([early], since, since + 3_600_000).map((b) => b.hour)).toEqual([
      '2026-11-21T05:00:00.000Z',
      '2026-11-21T06:00:00.000Z',
    ]);
  });
});

describe('hash routes', () => {
  it('parses every view and writes it back', () => {
    expect(parseRoute('')).toEqual({ view: 'live' });
    expect(parseRoute('#/health')).toEqual({ view: 'health' });
    expect(parseRoute('#/calls/1795234265.6')).toEqual({ view: 'call', id: '1795234265.6' });
    const history = parseRoute('#/history?direction=inbound');
    expect(history.view === 'history' && history.params.get('direction')).toBe('inbound');
    expect(routeHref(history)).toBe('#/history?direction=inbound');
    expect(parseRoute(callHref('a/b c'))).toEqual({ view: 'call', id: 'a/b c' });
  });
});
