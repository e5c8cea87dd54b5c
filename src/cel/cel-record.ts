import { AppError, ERROR_CODES } from '../errors.ts';

// One row of Asterisk's Channel Event Logging (CEL), as cel_custom writes it (`format = json`, one object per
// line) or cel_pgsql stores it (a row of its `cel` table). Only what the backfill reads is kept; every text
// is bounded here, so nothing later has to check sizes again.

/** CEL event types the backfill turns into channel events; any other row is read and passed over. */
export const CEL_USED_TYPES = ['CHAN_START', 'ANSWER', 'BRIDGE_ENTER', 'BRIDGE_EXIT', 'BLINDTRANSFER', 'HANGUP'] as const;
export type CelUsedType = (typeof CEL_USED_TYPES)[number];

export function isUsedCelType(type: string): type is CelUsedType {
  return (CEL_USED_TYPES as readonly string[]).includes(type);
}

export interface CelRecord {
  /** CHAN_START, ANSWER, ...; the types not in CEL_USED_TYPES come as they are (CHAN_END, LINKEDID_END, APP_START...). */
  eventType: string;
  /** Epoch milliseconds (cel_custom's `EventTime(double)` is seconds with microseconds). */
  atMs: number;
  callerName: string;
  callerNumber: string;
  exten: string;
  context: string;
  channelName: string;
  appName: string;
  appData: string;
  uniqueId: string;
  linkedId: string;
  peer: string;
  /**
   * From the row's extra JSON. HANGUP: `hangupcause`, `dialstatus`; BRIDGE_ENTER/EXIT and BLINDTRANSFER:
   * `bridge_id`; BLINDTRANSFER: `extension`, `context`, `transferee_channel_uniqueid`.
   */
  hangupCause: number | null;
  dialStatus: string;
  bridgeId: string;
  transferExten: string;
  transferContext: string;
  transfereeId: string;
}

/** Bounds of one row: a longer line is refused, longer texts are cut. */
export const CEL_LIMITS = { lineChars: 16 * 1024, id: 150, text: 256 } as const;

function invalid(message: string): AppError {
  return new AppError(ERROR_CODES.CEL_INPUT_INVALID, message);
}

function text(value: unknown): string {
  const s = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
  return s.length <= CEL_LIMITS.text ? s : s.slice(0, CEL_LIMITS.text);
}

function idOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${field} must be a non-empty string`);
  if (value.length > CEL_LIMITS.id || /[\u0000-\u001f\u007f]/.test(value)) throw invalid(`${field} is too long or holds control characters`);
  return value;
}

/** An id inside the extra JSON: kept only when it is one (else empty: the fact it carries is left out). */
function idText(value: unknown): string {
  return typeof value === 'string' && value.length <= CEL_LIMITS.id && !/[\u0000-\u001f\u007f]/.test(value) ? value : '';
}

/** CEL's extra field: JSON text (cel_custom, cel_pgsql) or an object (already parsed). */
function extraOf(value: unknown): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value !== 'string' || !value.startsWith('{')) return {};
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function causeOf(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 1000 ? n : null;
}

/**
 * Epoch milliseconds of CEL's event time: a number of seconds (cel_custom's `EventTime(double)`), a Date (a
 * cel_pgsql row), or a text a Date reads (cel_custom without `(double)`, read as UTC when it names no zone).
 */
function timeOf(value: unknown): number {
  let ms = NaN;
  if (typeof value === 'number') ms = value * 1000;
  else if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string' && value.trim() !== '') {
    const t = value.trim();
    ms = /^\d+(\.\d+)?$/.test(t) ? Number(t) * 1000 : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t.replace(' ', 'T')}Z`);
  }
  if (!Number.isFinite(ms) || ms <= 0) throw invalid('eventtime is not a time');
  return Math.round(ms);
}

/**
 * One CEL row from an object whose keys are CEL's field names in any case (`EventType`, `eventtype`), or
 * cel_pgsql's columns (`cid_name`, `cid_num`, `extra`). Throws AppError(CEL_INPUT_INVALID).
 */
export function celRecordOf(value: unknown): CelRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('a CEL row must be an object');
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) row[k.toLowerCase()] = v;
  const eventType = text(row.eventtype);
  if (eventType === '') throw invalid('eventtype is missing');
  const extra = extraOf(row.eventextra ?? row.extra);
  return {
    eventType,
    atMs: timeOf(row.eventtime),
    callerName: text(row.name ?? row.cid_name),
    callerNumber: text(row.num ?? row.cid_num),
    exten: text(row.exten),
    context: text(row.context),
    channelName: text(row.channame),
    appName: text(row.appname),
    appData: text(row.appdata),
    uniqueId: idOf(row.uniqueid, 'uniqueid'),
    linkedId: idOf(row.linkedid, 'linkedid'),
    peer: text(row.peer),
    hangupCause: causeOf(extra.hangupcause),
    dialStatus: text(extra.dialstatus),
    bridgeId: idText(extra.bridge_id),
    transferExten: text(extra.extension),
    transferContext: text(extra.context),
    transfereeId: idText(extra.transferee_channel_uniqueid),
  };
}

/** One cel_custom JSON line; null for a blank line. Throws AppError(CEL_INPUT_INVALID). */
export function parseCelLine(line: string): CelRecord | null {
  const t = line.trim();
  if (t === '') return null;
  if (t.length > CEL_LIMITS.lineChars) throw invalid(`line longer than ${CEL_LIMITS.lineChars} characters`);
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch {
    throw invalid('not valid JSON');
  }
  return celRecordOf(value);
}
