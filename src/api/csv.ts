import type { CallRecord } from '../domain/call.ts';

// CSV export of call records (RFC 4180 quoting).

const COLUMNS: (keyof CallRecord)[] = [
  'id',
  'server',
  'status',
  'disposition',
  'direction',
  'from',
  'to',
  'startedAt',
  'answeredAt',
  'endedAt',
  'durationMs',
  'talkMs',
  'hangupCause',
  'hangupCauseText',
  'closedBy',
];

function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  // Quote separators and line breaks; neutralise spreadsheet formulas in text fields.
  const safe = /^[=+\-@\t\r]/.test(s) && Number.isNaN(Number(s)) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvHeader(): string {
  return `${[...COLUMNS, 'legs'].join(',')}\r\n`;
}

export function csvRow(call: CallRecord): string {
  return `${[...COLUMNS.map((c) => field(call[c])), String(call.legs.length)].join(',')}\r\n`;
}

export async function* callsCsv(calls: AsyncIterable<CallRecord>): AsyncGenerator<string> {
  yield csvHeader();
  for await (const call of calls) yield csvRow(call);
}
