// Axis arithmetic for the charts, kept apart from the SVG so it can be tested.

/** The smallest "round" count (1, 2 or 5 times a power of ten) at or above `value`; at least 1. */
export function niceCeiling(value: number): number {
  if (!Number.isFinite(value) || value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const factor = [1, 2, 5, 10].find((candidate) => candidate * power >= value) ?? 10;
  return factor * power;
}

/** Gridline values from 0 to `max`, at whole-number steps when `max` came from niceCeiling. */
export function gridValues(max: number): number[] {
  // 10 and 50 split into fifths, 20 into quarters: every step stays a round whole number.
  const leading = max / 10 ** Math.floor(Math.log10(max));
  const count = max < 5 ? Math.max(1, max) : leading === 2 ? 4 : 5;
  return Array.from({ length: count + 1 }, (_, index) => (max / count) * index);
}

/** Every how many bars an x label fits, given roughly how many labels the width allows. */
export function labelEvery(barCount: number, maxLabels: number): number {
  if (barCount <= maxLabels) return 1;
  return Math.ceil(barCount / Math.max(1, maxLabels));
}

const HOUR_MS = 3_600_000;

export interface HourBucket {
  hour: string;
  total: number;
  answered: number;
}

/**
 * Every hour of the window, oldest first, with zeros where the server reported none: the API lists
 * only hours that had calls, and a chart of those alone would hide the quiet ones.
 */
export function fillHours(buckets: readonly HourBucket[], sinceMs: number, untilMs: number): HourBucket[] {
  const byHour = new Map<number, HourBucket>();
  for (const bucket of buckets) {
    const ms = Date.parse(bucket.hour);
    if (!Number.isNaN(ms)) byHour.set(Math.floor(ms / HOUR_MS) * HOUR_MS, bucket);
  }
  const first = Math.min(Math.floor(sinceMs / HOUR_MS) * HOUR_MS, ...byHour.keys());
  const last = Math.max(Math.floor((untilMs - 1) / HOUR_MS) * HOUR_MS, ...byHour.keys());
  const filled: HourBucket[] = [];
  for (let hour = first; hour <= last; hour += HOUR_MS) {
    filled.push(byHour.get(hour) ?? { hour: new Date(hour).toISOString(), total: 0, answered: 0 });
  }
  return filled;
}
