import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FILTERS,
  filtersFromParams,
  filtersToApiParams,
  filtersToParams,
  toggleValue,
} from '../../web/src/lib/history-filters.ts';

const NOW = Date.parse('2026-11-21T12:00:00.000Z');

describe('history filters', () => {
  it('round-trips through the URL, writing only what differs from the defaults', () => {
    const filters = { ...DEFAULT_FILTERS, range: '7d' as const, directions: ['inbound' as const], dispositions: ['busy' as const, 'no_answer' as const], number: ' 555 ' };
    const params = filtersToParams(filters);
    expect(params.toString()).toBe('range=7d&direction=inbound&disposition=busy%2Cno_answer&number=555');
    expect(filtersFromParams(params)).toEqual({ ...filters, number: '555' });
    expect(filtersToParams(DEFAULT_FILTERS).toString()).toBe('');
  });

  it('drops values it does not know instead of sending them to the API', () => {
    const filters = filtersFromParams(new URLSearchParams('range=forever&direction=inbound,sideways&disposition=lost'));
    expect(filters.range).toBe('24h');
    expect(filters.directions).toEqual(['inbound']);
    expect(filters.dispositions).toEqual([]);
  });

  it('resolves relative ranges against the clock and leaves "all time" open', () => {
    expect(filtersToApiParams({ ...DEFAULT_FILTERS, range: '1h' }, NOW).get('since')).toBe('2026-11-21T11:00:00.000Z');
    expect(filtersToApiParams({ ...DEFAULT_FILTERS, range: 'all' }, NOW).toString()).toBe('');
    const api = filtersToApiParams({ ...DEFAULT_FILTERS, directions: ['inbound', 'outbound'], number: '200' }, NOW);
    expect(api.get('direction')).toBe('inbound,outbound');
    expect(api.get('number')).toBe('200');
  });

  it('turns a custom range into ISO instants and skips an empty or invalid end', () => {
    const api = filtersToApiParams({ ...DEFAULT_FILTERS, range: 'custom', from: '2026-11-20T08:30', to: 'garbage' }, NOW);
    expect(api.get('since')).toBe(new Date('2026-11-20T08:30').toISOString());
    expect(api.has('until')).toBe(false);
  });

  it('toggles a value in or out of a list', () => {
    expect(toggleValue(['a', 'b'], 'a')).toEqual(['b']);
    expect(toggleValue(['a'], 'b')).toEqual(['a', 'b']);
  });
});
