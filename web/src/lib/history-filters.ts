// History filters: kept in the hash URL so a filtered view can be bookmarked or shared, and turned into
// the query string the API (list and CSV export alike) understands.
import { DIRECTIONS, DISPOSITIONS } from '../../../src/domain/call.ts';
import type { Direction, Disposition } from '../api/types.ts';

export const TIME_RANGES = ['1h', '24h', '7d', '30d', 'all', 'custom'] as const;
export type TimeRange = (typeof TIME_RANGES)[number];

const RANGE_MS: Record<Exclude<TimeRange, 'all' | 'custom'>, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

export const RANGE_LABELS: Record<TimeRange, string> = {
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  all: 'All time',
  custom: 'Custom range',
};

export interface HistoryFilters {
  range: TimeRange;
  /** Only for `custom`: `datetime-local` values in the browser's zone (`2026-11-21T04:11`). */
  from: string;
  to: string;
  directions: Direction[];
  dispositions: Disposition[];
  number: string;
}

export const DEFAULT_FILTERS: HistoryFilters = {
  range: '24h',
  from: '',
  to: '',
  directions: [],
  dispositions: [],
  number: '',
};

function pickList<T extends string>(raw: string | null, allowed: readonly T[]): T[] {
  if (!raw) return [];
  return raw.split(',').filter((value): value is T => (allowed as readonly string[]).includes(value));
}

export function filtersFromParams(params: URLSearchParams): HistoryFilters {
  const range = params.get('range');
  return {
    range: (TIME_RANGES as readonly string[]).includes(range ?? '') ? (range as TimeRange) : DEFAULT_FILTERS.range,
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    directions: pickList(params.get('direction'), DIRECTIONS),
    dispositions: pickList(params.get('disposition'), DISPOSITIONS),
    number: params.get('number') ?? '',
  };
}

/** The URL form: only what differs from the defaults, so plain links stay short. */
export function filtersToParams(filters: HistoryFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.range !== DEFAULT_FILTERS.range) params.set('range', filters.range);
  if (filters.range === 'custom') {
    if (filters.from) params.set('from', filters.from);
    if (filters.to) params.set('to', filters.to);
  }
  if (filters.directions.length > 0) params.set('direction', filters.directions.join(','));
  if (filters.dispositions.length > 0) params.set('disposition', filters.dispositions.join(','));
  if (filters.number.trim() !== '') params.set('number', filters.number.trim());
  return params;
}

/** A `datetime-local` value read in the browser's zone, as ISO-8601 UTC; null when empty or invalid. */
function localInputToIso(value: string): string | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** The API's query: `since`/`until` resolved against `nowMs`, lists comma-separated. */
export function filtersToApiParams(filters: HistoryFilters, nowMs: number): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.range === 'custom') {
    const since = localInputToIso(filters.from);
    const until = localInputToIso(filters.to);
    if (since) params.set('since', since);
    if (until) params.set('until', until);
  } else if (filters.range !== 'all') {
    params.set('since', new Date(nowMs - RANGE_MS[filters.range]).toISOString());
  }
  if (filters.directions.length > 0) params.set('direction', filters.directions.join(','));
  if (filters.dispositions.length > 0) params.set('disposition', filters.dispositions.join(','));
  if (filters.number.trim() !== '') params.set('number', filters.number.trim());
  return params;
}

export function toggleValue<T>(list: readonly T[], value: T): T[] {
  return list.includes(value) ? list.filter((item) => item !== value) : [...list, value];
}
