// A schedule's weekly ranges as bars on a week grid: a range whose end is not after its start ends the next
// day, so it is drawn in two pieces (to midnight, then from midnight on the next day; Sunday wraps to Monday).
import type { WeeklyRange } from '../api/routing-types.ts';

export const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export type Day = WeeklyRange['day'];

export function minutesOf(time: string): number {
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  if (!match) return Number.NaN;
  return Number(match[1]) * 60 + Number(match[2]);
}

export function endsNextDay(range: { from: string; to: string }): boolean {
  const from = minutesOf(range.from);
  const to = minutesOf(range.to);
  return Number.isFinite(from) && Number.isFinite(to) && to <= from;
}

export interface Segment {
  day: Day;
  /** Minutes from midnight. */
  start: number;
  end: number;
  /** The piece of a range begun the day before. */
  carried: boolean;
}

export function segmentsOf(weekly: WeeklyRange[]): Segment[] {
  const out: Segment[] = [];
  for (const range of weekly) {
    const from = minutesOf(range.from);
    const to = minutesOf(range.to);
    if (!Number.isFinite(from) || !Number.isFinite(to)) continue;
    if (to > from) {
      out.push({ day: range.day, start: from, end: to, carried: false });
      continue;
    }
    out.push({ day: range.day, start: from, end: 24 * 60, carried: false });
    if (to > 0) out.push({ day: ((range.day % 7) + 1) as Day, start: 0, end: to, carried: true });
  }
  return out;
}

export const TIME_PATTERN = '(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00';
