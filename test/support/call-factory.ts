import type { CallRecord, Leg } from '../../src/domain/call.ts';
import type { EventRow, OutboxInsert, WriteBatch } from '../../src/store/types.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

// Consistent CallRecords, legs, event rows and outbox rows for tests. A `shape` sets status, disposition
// and the answer/end times together; any field can still be overridden.

export type CallShape = 'answered' | 'no_answer' | 'busy' | 'ringing' | 'in_progress';

export interface CallOptions extends Partial<CallRecord> {
  shape?: CallShape;
  /** Seconds from start to answer (answered shapes); default 5. */
  ringSeconds?: number;
  /** Seconds from answer to hangup (answered) or start to hangup (unanswered); default 60. */
  talkSeconds?: number;
}

let counter = 0;

/** A process-unique suffix, so tests sharing a database never collide on ids. */
export function uniqueId(prefix = 'id'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}

export function makeLeg(overrides: Partial<Leg> = {}): Leg {
  const createdAt = overrides.createdAt ?? '2026-11-21T04:00:00.000Z';
  return {
    channelId: uniqueId('chan'),
    name: 'PJSIP/alice-00000001',
    endpoint: 'PJSIP/alice',
    state: 'Up',
    callerNumber: '+15550100',
    callerName: 'Alice',
    connectedNumber: '100',
    context: 'from-trunk',
    exten: '100',
    createdAt,
    answeredAt: null,
    endedAt: null,
    cause: null,
    causeText: null,
    techCause: null,
    ...overrides,
  };
}

export function makeCall(options: CallOptions = {}): CallRecord {
  const { shape = 'answered', ringSeconds = 5, talkSeconds = 60, ...overrides } = options;
  const id = overrides.id ?? uniqueId('call');
  const startedAt = overrides.startedAt ?? '2026-11-21T04:00:00.000Z';
  const answered = shape === 'answered' || shape === 'in_progress';
  const finished = shape !== 'ringing' && shape !== 'in_progress';
  const answeredAt = answered ? addSeconds(startedAt, ringSeconds) : null;
  const endedAt = finished ? addSeconds(answeredAt ?? startedAt, talkSeconds) : null;
  const cause = shape === 'busy' ? 17 : shape === 'no_answer' ? 19 : 16;
  const causeText = shape === 'busy' ? 'User busy' : shape === 'no_answer' ? 'No answer' : 'Normal Clearing';
  const legs = overrides.legs ?? [
    makeLeg({ channelId: `${id}-a`, createdAt: startedAt, answeredAt, endedAt, cause: finished ? cause : null }),
    makeLeg({
      channelId: `${id}-b`,
      name: 'PJSIP/bob-00000002',
      endpoint: 'PJSIP/bob',
      createdAt: addSeconds(startedAt, 1),
      answeredAt,
      endedAt,
      cause: finished ? cause : null,
    }),
  ];
  return {
    id,
    server: 'pbx1',
    tenantId: 'default',
    status: finished ? 'finished' : answered ? 'answered' : 'ringing',
    disposition: finished ? (shape as 'answered' | 'no_answer' | 'busy') : null,
    direction: 'inbound',
    from: '+15550100',
    to: '100',
    startedAt,
    answeredAt,
    answerEstimated: false,
    endedAt,
    durationMs: endedAt ? Date.parse(endedAt) - Date.parse(startedAt) : null,
    talkMs: answeredAt && endedAt ? Date.parse(endedAt) - Date.parse(answeredAt) : null,
    hangupCause: finished ? cause : null,
    hangupCauseText: finished ? causeText : null,
    closedBy: finished ? 'hangup' : null,
    endEstimated: false,
    backfilled: false,
    route: null,
    legs,
    eventCount: 10,
    updatedAt: endedAt ?? answeredAt ?? startedAt,
    ...overrides,
  };
}

/**
 * Stores a call row as an earlier version wrote it: the columns it knew, and a record JSON that may lack fields
 * added since (the current write path would need them all).
 */
export async function storeOldRecord(store: Pick<SqlStore, 'sql'>, record: Omit<Partial<CallRecord>, 'id'> & { id: string }): Promise<void> {
  await store.sql.query(
    `INSERT INTO calls (id, server, status, disposition, direction, from_number, to_number, started_at, updated_at, record)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::json)`,
    [record.id, record.server, record.status, record.disposition, record.direction, record.from, record.to, record.startedAt, record.updatedAt, JSON.stringify(record)],
  );
}

export interface EventOptions extends Partial<Omit<EventRow, 'raw'>> {
  /** Extra fields of the raw ARI event. */
  fields?: Record<string, unknown>;
  /** Raw text as received; built from type, channel and fields when absent. */
  raw?: string | Uint8Array;
}

export function makeEventRow(options: EventOptions = {}): EventRow {
  const { fields = {}, raw, ...row } = options;
  const type = row.type ?? 'ChannelStateChange';
  const channelId = row.channelId === undefined ? uniqueId('chan') : row.channelId;
  const receivedAt = row.receivedAt ?? '2026-11-21T04:00:00.000Z';
  return {
    callId: row.callId === undefined ? null : row.callId,
    server: row.server ?? 'pbx1',
    type,
    channelId,
    receivedAt,
    raw:
      raw ??
      JSON.stringify({
        type,
        timestamp: receivedAt,
        application: 'callflow',
        ...(channelId === null ? {} : { channel: { id: channelId, name: 'PJSIP/alice-00000001', state: 'Up' } }),
        ...fields,
      }),
  };
}

export function makeOutbox(callId: string, eventType = 'call.finished', sink = 'webhook'): OutboxInsert {
  return {
    sink,
    callId,
    eventType,
    idempotencyKey: `${sink}:${callId}:${eventType}`,
    payload: { callId, eventType },
  };
}

/** An empty WriteBatch with the given parts. */
export function batchOf(parts: Partial<WriteBatch>): WriteBatch {
  return { events: [], calls: [], merges: [], outbox: [], ...parts };
}
