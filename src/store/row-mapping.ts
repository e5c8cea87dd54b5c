import type { CallRecord, Leg } from '../domain/call.ts';
import { DEFAULT_TENANT } from '../domain/tenant.ts';
import type { StoredEvent, StoredQuarantinedRow } from './types.ts';

// Rows read back from the database, turned into the port's shapes.

// jsonb stores object keys sorted by length; the record is served with its fields in the order the type
// declares them (keys not listed here, e.g. fields added later, follow in stored order).
const CALL_KEYS: readonly (keyof CallRecord)[] = [
  'id', 'server', 'tenantId', 'status', 'disposition', 'direction', 'from', 'to', 'startedAt', 'answeredAt', 'answerEstimated', 'endedAt',
  'durationMs', 'talkMs', 'hangupCause', 'hangupCauseText', 'closedBy', 'endEstimated', 'backfilled', 'route', 'legs', 'eventCount', 'updatedAt',
];
const LEG_KEYS: readonly (keyof Leg)[] = [
  'channelId', 'name', 'endpoint', 'state', 'callerNumber', 'callerName', 'connectedNumber', 'context', 'exten',
  'createdAt', 'answeredAt', 'endedAt', 'cause', 'causeText', 'techCause',
];

function inKeyOrder<T>(stored: Record<string, unknown>, keys: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (key in stored) out[key] = stored[key];
  for (const key of Object.keys(stored)) if (!(key in out)) out[key] = stored[key];
  return out as T;
}

/** Fields added to the record after calls were stored, with the value an older record reads as. */
const ADDED_LATER: Partial<CallRecord> = { endEstimated: false, answerEstimated: false, backfilled: false, tenantId: DEFAULT_TENANT, route: null };

export function toCallRecord(stored: unknown): CallRecord {
  const record = inKeyOrder<CallRecord>({ ...ADDED_LATER, ...(stored as Record<string, unknown>) }, CALL_KEYS);
  if (Array.isArray(record.legs)) {
    record.legs = record.legs.map((leg) => inKeyOrder<Leg>(leg as unknown as Record<string, unknown>, LEG_KEYS));
  }
  return record;
}

/**
 * A stored record's text as the API sends it. Records written before a field of ADDED_LATER existed are
 * read and written again with it; current ones (with the newest such keys, which jsonb puts near the start: short
 * keys first) go out as they are.
 */
export function callRecordText(stored: string): string {
  return stored.includes('"route":') && stored.includes('"tenantId":') ? stored : JSON.stringify(toCallRecord(JSON.parse(stored)));
}

export interface EventDbRow {
  seq: number;
  call_id: string | null;
  server: string;
  type: string;
  channel_id: string | null;
  received_at: Date;
  payload: unknown;
}

export function toStoredEvent(row: EventDbRow): StoredEvent {
  return {
    seq: Number(row.seq),
    callId: row.call_id,
    server: row.server,
    type: row.type,
    channelId: row.channel_id,
    receivedAt: isoTime(row.received_at),
    event: row.payload,
  };
}

/** ISO-8601 UTC with milliseconds, from a timestamptz the driver returned. */
export function isoTime(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export interface QuarantineDbRow {
  id: number;
  kind: StoredQuarantinedRow['kind'];
  call_id: string | null;
  server: string | null;
  type: string | null;
  sqlstate: string | null;
  error: string;
  data: string;
  created_at: Date;
}

export function toQuarantinedRow(row: QuarantineDbRow): StoredQuarantinedRow {
  return {
    id: Number(row.id),
    kind: row.kind,
    callId: row.call_id,
    server: row.server,
    type: row.type,
    sqlstate: row.sqlstate,
    error: row.error,
    data: row.data,
    createdAt: isoTime(row.created_at),
  };
}
