import { describe, expect, it } from 'vitest';
import type { Schedule, ScheduleException, WeeklyRange } from './model.ts';
import { isValidTimeZone, scheduleBranch, validClockTime, wallClock } from './schedule.ts';

function schedule(timezone: string | null, weekly: WeeklyRange[], exceptions: ScheduleException[] = []): Schedule {
  return {
    id: 's1',
    tenantId: 't1',
    name: 'Office',
    timezone,
    weekly,
    exceptions,
    open: { type: 'hangup' },
    closed: { type: 'hangup' },
    createdAt: '',
    updatedAt: '',
  };
}

const weekdays = (from: string, to: string): WeeklyRange[] =>
  ([1, 2, 3, 4, 5] as const).map((day) => ({ day, from, to }));

const office = weekdays('09:00', '18:00');
const berlin = schedule('Europe/Berlin', office);
const newYork = schedule('America/New_York', office);
// 2026-12-23 is a Wednesday, 2026-12-24 a Thursday, 2026-01-01 a Thursday.
const nightShift = schedule(
  'Europe/Berlin',
  [
    { day: 3, from: '22:00', to: '06:00' },
    { day: 5, from: '18:00', to: '24:00' },
    { day: 6, from: '22:00', to: '06:00' },
  ],
  [
    { date: '2026-01-01', name: 'New Year', closed: true, ranges: [] },
    { date: '2026-12-24', name: 'Christmas Eve', closed: false, ranges: [{ from: '10:00', to: '14:00' }] },
    { date: '2026-12-31', name: 'Year end', closed: true, ranges: [] },
  ],
);
// 2026-12-30 is a Wednesday: its 22:00-06:00 would run into the closed 2026-12-31.

const cases: { name: string; s: Schedule; at: string; branch: 'open' | 'closed'; reason: string }[] = [
  { name: 'Berlin weekday start (CET)', s: berlin, at: '2026-03-27T08:00:00Z', branch: 'open', reason: 'open: Fri 09:00-18:00' },
  { name: 'Berlin a minute before opening', s: berlin, at: '2026-03-27T07:59:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'Berlin end is exclusive', s: berlin, at: '2026-03-27T17:00:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'Berlin Monday after spring forward: 09:00 CEST is 07:00 UTC', s: berlin, at: '2026-03-30T07:00:00Z', branch: 'open', reason: 'open: Mon 09:00-18:00' },
  { name: 'Berlin Monday after spring forward: 06:59 UTC is 08:59 CEST', s: berlin, at: '2026-03-30T06:59:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'Berlin Monday after fall back: 09:00 CET is 08:00 UTC', s: berlin, at: '2026-10-26T08:00:00Z', branch: 'open', reason: 'open: Mon 09:00-18:00' },
  { name: 'Berlin Monday after fall back: 07:30 UTC is 08:30 local', s: berlin, at: '2026-10-26T07:30:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'Berlin spring-forward gap: 02:30 opening reads as 03:00', s: schedule('Europe/Berlin', [{ day: 7, from: '02:30', to: '04:00' }]), at: '2026-03-29T01:00:00Z', branch: 'open', reason: 'open: Sun 02:30-04:00' },
  { name: 'Berlin spring-forward: 01:59 local is before the range', s: schedule('Europe/Berlin', [{ day: 7, from: '02:30', to: '04:00' }]), at: '2026-03-29T00:59:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'Berlin fall back: first 02:30 (CEST)', s: schedule('Europe/Berlin', [{ day: 7, from: '02:00', to: '03:00' }]), at: '2026-10-25T00:30:00Z', branch: 'open', reason: 'open: Sun 02:00-03:00' },
  { name: 'Berlin fall back: second 02:30 (CET)', s: schedule('Europe/Berlin', [{ day: 7, from: '02:00', to: '03:00' }]), at: '2026-10-25T01:30:00Z', branch: 'open', reason: 'open: Sun 02:00-03:00' },
  { name: 'Berlin fall back: 03:00 CET closes', s: schedule('Europe/Berlin', [{ day: 7, from: '02:00', to: '03:00' }]), at: '2026-10-25T02:00:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'New York before DST: 09:00 EST is 14:00 UTC', s: newYork, at: '2026-03-06T14:00:00Z', branch: 'open', reason: 'open: Fri 09:00-18:00' },
  { name: 'New York after spring forward: 09:00 EDT is 13:00 UTC', s: newYork, at: '2026-03-09T13:00:00Z', branch: 'open', reason: 'open: Mon 09:00-18:00' },
  { name: 'New York after spring forward: 12:59 UTC is 08:59 EDT', s: newYork, at: '2026-03-09T12:59:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'New York after fall back: 13:30 UTC is 08:30 EST', s: newYork, at: '2026-11-02T13:30:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'New York fall-back day: both 01:30s are in a 01:00-02:00 range (first)', s: schedule('America/New_York', [{ day: 7, from: '01:00', to: '02:00' }]), at: '2026-11-01T05:30:00Z', branch: 'open', reason: 'open: Sun 01:00-02:00' },
  { name: 'New York fall-back day: both 01:30s are in a 01:00-02:00 range (second)', s: schedule('America/New_York', [{ day: 7, from: '01:00', to: '02:00' }]), at: '2026-11-01T06:30:00Z', branch: 'open', reason: 'open: Sun 01:00-02:00' },
  { name: 'Auckland: Monday 09:00 NZDT is Sunday 20:00 UTC', s: schedule('Pacific/Auckland', office), at: '2026-01-11T20:00:00Z', branch: 'open', reason: 'open: Mon 09:00-18:00' },
  { name: 'Auckland: Sunday 19:59 UTC is Monday 08:59 there', s: schedule('Pacific/Auckland', office), at: '2026-01-11T19:59:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'Kolkata: 09:00 IST is 03:30 UTC', s: schedule('Asia/Kolkata', office), at: '2026-01-12T03:30:00Z', branch: 'open', reason: 'open: Mon 09:00-18:00' },
  { name: 'Kolkata: 03:29 UTC is 08:59 IST', s: schedule('Asia/Kolkata', office), at: '2026-01-12T03:29:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'tenant zone when the schedule has none', s: schedule(null, office), at: '2026-01-12T03:30:00Z', branch: 'open', reason: 'open: Mon 09:00-18:00' },
  { name: 'overnight range, same evening', s: nightShift, at: '2026-03-28T22:30:00Z', branch: 'open', reason: 'open: Sat 22:00-06:00' },
  { name: 'overnight range runs into the next day', s: nightShift, at: '2026-03-22T04:59:00Z', branch: 'open', reason: 'open: Sat 22:00-06:00' },
  { name: 'overnight range ends at its end time', s: nightShift, at: '2026-03-22T05:00:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: '24:00 as an end: open at 23:59', s: nightShift, at: '2026-03-27T22:59:00Z', branch: 'open', reason: 'open: Fri 18:00-24:00' },
  { name: '24:00 as an end: not into Saturday', s: nightShift, at: '2026-03-27T23:00:00Z', branch: 'closed', reason: 'closed: outside hours' },
  { name: 'closed holiday', s: nightShift, at: '2026-01-01T10:00:00Z', branch: 'closed', reason: 'closed: holiday New Year' },
  { name: 'closed holiday cuts the previous night short', s: nightShift, at: '2026-12-31T02:00:00Z', branch: 'closed', reason: 'closed: holiday Year end' },
  { name: 'the night before a special day still runs into it', s: nightShift, at: '2026-12-24T02:00:00Z', branch: 'open', reason: 'open: Wed 22:00-06:00' },
  { name: 'special ranges of an exception day', s: nightShift, at: '2026-12-24T10:00:00Z', branch: 'open', reason: 'open: Christmas Eve 10:00-14:00' },
  { name: 'outside the special ranges', s: nightShift, at: '2026-12-24T14:00:00Z', branch: 'closed', reason: 'closed: outside hours (Christmas Eve)' },
  { name: 'unknown zone fails closed', s: schedule('Mars/Olympus', office), at: '2026-03-27T08:00:00Z', branch: 'closed', reason: 'closed: unknown time zone Mars/Olympus' },
];

describe('scheduleBranch', () => {
  it.each(cases)('$name', ({ s, at, branch, reason }) => {
    expect(scheduleBranch(s, 'Asia/Kolkata', Date.parse(at))).toEqual({ branch, reason });
  });
});

describe('wallClock', () => {
  it.each([
    { zone: 'Europe/Berlin', at: '2026-03-29T01:00:00Z', clock: { year: 2026, month: 3, day: 29, weekday: 7, minutes: 180 } },
    { zone: 'Pacific/Auckland', at: '2026-12-31T11:00:00Z', clock: { year: 2027, month: 1, day: 1, weekday: 5, minutes: 0 } },
    { zone: 'UTC', at: '2026-01-01T00:00:00Z', clock: { year: 2026, month: 1, day: 1, weekday: 4, minutes: 0 } },
  ])('$zone at $at', ({ zone, at, clock }) => {
    expect(wallClock(zone, Date.parse(at))).toEqual(clock);
  });
});

describe('isValidTimeZone and validClockTime', () => {
  it.each([
    ['Europe/Berlin', true],
    ['America/New_York', true],
    ['UTC', true],
    ['Mars/Olympus', false],
    ['', false],
    ['Europe/Berlin; DROP', false],
  ] as const)('zone %s → %s', (zone, ok) => {
    expect(isValidTimeZone(zone)).toBe(ok);
  });

  it.each([
    ['00:00', true],
    ['09:30', true],
    ['23:59', true],
    ['24:00', true],
    ['24:01', false],
    ['9:30', false],
    ['12:60', false],
    ['', false],
  ] as const)('clock %s → %s', (value, ok) => {
    expect(validClockTime(value)).toBe(ok);
  });
});
