import type { ClockTime, Schedule, ScheduleException } from './model.ts';

// Is a schedule open at an instant (docs/routing.md)? Everything is compared in local wall-clock time of the
// schedule's zone, read with Intl, so 09:00 stays 09:00 across a DST change and an instant in the spring-forward
// gap cannot occur (the clock reads the time after the gap). Pure: the instant is an argument.

export interface ScheduleDecision {
  branch: 'open' | 'closed';
  reason: string;
}

/** A local calendar date and the minutes since its midnight (0..1439). */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  /** ISO weekday, Monday = 1 ... Sunday = 7. */
  weekday: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  minutes: number;
}

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const DAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

export function validClockTime(value: string): boolean {
  return CLOCK.test(value);
}

/** Minutes since midnight of "HH:MM" ("24:00" = 1440). The caller validated it. */
export function clockMinutes(value: ClockTime): number {
  const [h, m] = value.split(':');
  return Number(h) * 60 + Number(m);
}

// Building a DateTimeFormat costs far more than using one, and a tenant has one or two zones.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone === '') return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `timeZone` at `atMs`. Throws RangeError on an unknown zone. */
export function wallClock(timeZone: string, atMs: number): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(atMs)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const year = parts.year ?? 0;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  // Some engines print midnight as 24 even with h23; it is the start of the day either way.
  const hour = (parts.hour ?? 0) % 24;
  const minutes = hour * 60 + (parts.minute ?? 0);
  return { year, month, day, weekday: isoWeekday(year, month, day), minutes };
}

function isoWeekday(year: number, month: number, day: number): WallClock['weekday'] {
  const d = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return (d === 0 ? 7 : d) as WallClock['weekday'];
}

function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The calendar day before (pure date arithmetic in UTC; no zone involved). */
function previousDay(c: WallClock): { date: string; weekday: WallClock['weekday'] } {
  const d = new Date(Date.UTC(c.year, c.month - 1, c.day - 1));
  return {
    date: isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()),
    weekday: (c.weekday === 1 ? 7 : c.weekday - 1) as WallClock['weekday'],
  };
}

interface DayRanges {
  ranges: { from: ClockTime; to: ClockTime }[];
  /** How the reason names the day's ranges: "Mon", or the exception's name. */
  label: string;
  exception: ScheduleException | null;
}

function rangesOf(schedule: Schedule, date: string, weekday: WallClock['weekday']): DayRanges {
  const exception = schedule.exceptions.find((e) => e.date === date) ?? null;
  if (exception) return { ranges: exception.closed ? [] : exception.ranges, label: exception.name, exception };
  return { ranges: schedule.weekly.filter((r) => r.day === weekday), label: DAY_NAMES[weekday], exception: null };
}

const crossesMidnight = (r: { from: ClockTime; to: ClockTime }) => clockMinutes(r.to) <= clockMinutes(r.from);

export function scheduleBranch(schedule: Schedule, tenantTimezone: string, atMs: number): ScheduleDecision {
  const zone = schedule.timezone ?? tenantTimezone;
  // Validation refuses unknown zones; one that slipped through must not crash a live call: closed is the safe side.
  if (!isValidTimeZone(zone)) return { branch: 'closed', reason: `closed: unknown time zone ${zone}` };
  const now = wallClock(zone, atMs);
  const today = rangesOf(schedule, isoDate(now.year, now.month, now.day), now.weekday);

  for (const r of today.ranges) {
    const from = clockMinutes(r.from);
    const to = clockMinutes(r.to);
    const inside = crossesMidnight(r) ? now.minutes >= from : now.minutes >= from && now.minutes < to;
    if (inside) return { branch: 'open', reason: `open: ${today.label} ${r.from}-${r.to}` };
  }

  // Yesterday's overnight range runs on into today, unless today is an exception that closes the whole day.
  if (!today.exception?.closed) {
    const prev = previousDay(now);
    const yesterday = rangesOf(schedule, prev.date, prev.weekday);
    for (const r of yesterday.ranges) {
      if (crossesMidnight(r) && now.minutes < clockMinutes(r.to)) {
        return { branch: 'open', reason: `open: ${yesterday.label} ${r.from}-${r.to}` };
      }
    }
  }

  if (today.exception?.closed) return { branch: 'closed', reason: `closed: holiday ${today.exception.name}` };
  if (today.exception) return { branch: 'closed', reason: `closed: outside hours (${today.exception.name})` };
  return { branch: 'closed', reason: 'closed: outside hours' };
}
