import type { CallRecord } from '../domain/call.ts';
import { textArrayLiteral } from './array-literal.ts';
import { cleanText, jsonbSafeReplacer, jsonbSafeText, rawText } from './copy-text.ts';
import { INVALID_EVENT_TYPE } from './event-copy.ts';
import type { LegRow, PreparedBatch } from './prepare-batch.ts';
import type { WriteStep } from './sql-client.ts';
import type { EventRow, OutboxInsert } from './types.ts';

// The statements of an ingest batch's transaction and the parameters they take, shared by the normal write
// (write-batch.ts) and the one that isolates rows the database refuses (isolate-batch.ts).

export const CHUNK = 500;

export const INSERT_EVENTS = `
INSERT INTO events (call_id, server, type, channel_id, received_at, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::json[])`;

export const UPSERT_CALLS = `
INSERT INTO calls (id, server, status, disposition, direction, from_number, to_number, started_at, answered_at,
  ended_at, duration_ms, talk_ms, hangup_cause, hangup_cause_text, closed_by, event_count, updated_at, tenant_id, record)
SELECT * FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), unnest($3::text[]), unnest($4::text[]),
  unnest($5::text[]), unnest($6::text[]), unnest($7::text[]), unnest($8::timestamptz[]), unnest($9::timestamptz[]),
  unnest($10::timestamptz[]), unnest($11::bigint[]), unnest($12::bigint[]), unnest($13::int[]), unnest($14::text[]),
  unnest($15::text[]), unnest($16::int[]), unnest($17::timestamptz[]), unnest($18::text[]), json_array_elements($19::json))
ON CONFLICT (id) DO UPDATE SET
  server = EXCLUDED.server, tenant_id = EXCLUDED.tenant_id, status = EXCLUDED.status, disposition = EXCLUDED.disposition,
  direction = EXCLUDED.direction, from_number = EXCLUDED.from_number, to_number = EXCLUDED.to_number,
  started_at = EXCLUDED.started_at, answered_at = EXCLUDED.answered_at, ended_at = EXCLUDED.ended_at,
  duration_ms = EXCLUDED.duration_ms, talk_ms = EXCLUDED.talk_ms, hangup_cause = EXCLUDED.hangup_cause,
  hangup_cause_text = EXCLUDED.hangup_cause_text, closed_by = EXCLUDED.closed_by,
  event_count = EXCLUDED.event_count, updated_at = EXCLUDED.updated_at, record = EXCLUDED.record`;

export const UPSERT_LEGS = `
INSERT INTO legs (channel_id, call_id, server, name, endpoint, created_at, answered_at, ended_at, cause, cause_text)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
  $7::timestamptz[], $8::timestamptz[], $9::int[], $10::text[])
ON CONFLICT (channel_id) DO UPDATE SET
  call_id = EXCLUDED.call_id, server = EXCLUDED.server, name = EXCLUDED.name, endpoint = EXCLUDED.endpoint,
  created_at = EXCLUDED.created_at, answered_at = EXCLUDED.answered_at, ended_at = EXCLUDED.ended_at,
  cause = EXCLUDED.cause, cause_text = EXCLUDED.cause_text`;

export const INSERT_OUTBOX = `
INSERT INTO outbox (sink, call_id, event_type, idempotency_key, payload)
SELECT o->>'sink', o->>'callId', o->>'eventType', o->>'idempotencyKey', coalesce(o->'payload', 'null'::jsonb)
FROM jsonb_array_elements($1::jsonb) AS o
ON CONFLICT (idempotency_key) DO NOTHING`;

export const BUMP_TYPE_COUNTS = `
INSERT INTO event_type_counts (type, count)
SELECT * FROM unnest($1::text[], $2::bigint[])
ON CONFLICT (type) DO UPDATE SET count = event_type_counts.count + EXCLUDED.count`;

export const SET_INGEST_MARK = `
INSERT INTO ingest_marks (run_id, batch) VALUES ($1, $2)
ON CONFLICT (run_id) DO UPDATE SET batch = EXCLUDED.batch, updated_at = now()`;

/** The spill log's progress: the last record stored, kept under a run id no engine run takes. */
export const SPILL_MARK_RUN = 'spill';
export const SET_SPILL_MARK = `
INSERT INTO ingest_marks (run_id, batch) VALUES ('${SPILL_MARK_RUN}', $1)
ON CONFLICT (run_id) DO UPDATE SET batch = GREATEST(ingest_marks.batch, EXCLUDED.batch), updated_at = now()`;

export const MERGE_SQL = [
  `UPDATE events SET call_id = m.into_id FROM unnest($1::text[], $2::text[]) AS m(from_id, into_id)
   WHERE events.call_id = m.from_id`,
  `UPDATE legs SET call_id = m.into_id FROM unnest($1::text[], $2::text[]) AS m(from_id, into_id)
   WHERE legs.call_id = m.from_id`,
  // What a CRM knows the absorbed call as, for the surviving call unless it has its own: the Bitrix24 sink
  // looked such links up by the call's channel ids, which misses a call renamed after its first channel moved
  // to another call (its Bitrix24 call would stay open and a second one be registered).
  `INSERT INTO crm_links (call_id, sink, external_call_id, data)
   SELECT m.into_id, l.sink, l.external_call_id, l.data FROM unnest($1::text[], $2::text[]) AS m(from_id, into_id)
   JOIN crm_links l ON l.call_id = m.from_id
   ORDER BY m.into_id, l.sink, l.created_at, l.call_id
   ON CONFLICT (call_id, sink) DO NOTHING`,
  `DELETE FROM outbox WHERE call_id = ANY($1::text[]) AND status = 'pending'`,
  `DELETE FROM calls WHERE id = ANY($1::text[])`,
];

export const query = (sql: string, params: readonly unknown[]): WriteStep => ({ kind: 'query', sql, params });

/** One parameter array per column (for `unnest`), each column read from every row by its getter. */
export function columns<T, V>(rows: readonly T[], getters: readonly ((row: T) => V)[]): V[][] {
  return getters.map((get) => rows.map(get));
}

const CALL_COLUMNS: readonly ((c: CallRecord) => unknown)[] = [
  (c) => cleanText(c.id),
  (c) => cleanText(c.server),
  (c) => c.status,
  (c) => c.disposition,
  (c) => c.direction,
  (c) => cleanText(c.from),
  (c) => cleanText(c.to),
  (c) => c.startedAt,
  (c) => c.answeredAt,
  (c) => c.endedAt,
  (c) => wholeOrNull(c.durationMs),
  (c) => wholeOrNull(c.talkMs),
  (c) => wholeOrNull(c.hangupCause),
  (c) => nullableClean(c.hangupCauseText),
  (c) => c.closedBy,
  (c) => Math.round(c.eventCount),
  (c) => c.updatedAt,
  (c) => cleanText(c.tenantId),
];

export const LEG_COLUMNS: readonly ((l: LegRow) => unknown)[] = [
  (l) => cleanText(l.channelId),
  (l) => cleanText(l.callId),
  (l) => cleanText(l.server),
  (l) => cleanText(l.name),
  (l) => cleanText(l.endpoint),
  (l) => l.createdAt,
  (l) => l.answeredAt,
  (l) => l.endedAt,
  (l) => wholeOrNull(l.cause),
  (l) => nullableClean(l.causeText),
];

/** The calls' columns, and the records they come from as one JSON array, zipped by position. */
export function callColumns(rows: CallRecord[], strict: boolean): unknown[] {
  // The records as one JSON array: no per-element escaping as an array literal would need.
  return [...columns(rows, CALL_COLUMNS), strict ? JSON.stringify(rows, jsonbSafeReplacer) : JSON.stringify(rows)];
}

function wholeOrNull(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

/** The payload as stored: the raw event as received, or made jsonb-safe where it must be. */
function payload(event: EventRow, strict: boolean): string | Uint8Array {
  return strict || event.type === INVALID_EVENT_TYPE ? jsonbSafeText(rawText(event.raw)) : event.raw;
}

/**
 * The embedded database's events: it reads COPY input only from a mounted blob, slower than one INSERT of
 * array parameters; each raw JSON text is passed as it came. The arrays go as literals built here, off
 * PGlite's thread (array-literal.ts).
 */
export function eventInserts(events: EventRow[], strict: boolean): WriteStep[] {
  const eventColumns: ((e: EventRow) => string | null)[] = [
    (e) => nullableClean(e.callId),
    (e) => cleanText(e.server),
    (e) => cleanText(e.type),
    (e) => nullableClean(e.channelId),
    (e) => e.receivedAt,
    (e) => cleanText(rawText(payload(e, strict))),
  ];
  return [...chunks(events)].map((rows) => query(INSERT_EVENTS, columns(rows, eventColumns).map((column) => textArrayLiteral(column))));
}

function nullableClean(value: string | null): string | null {
  return value === null ? null : cleanText(value);
}

export function* chunks<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += CHUNK) yield rows.slice(i, i + CHUNK);
}

/** Merges: events and legs of absorbed calls move, their pending deliveries and call rows go. */
export function mergeSteps(merges: PreparedBatch['merges']): WriteStep[] {
  if (merges.length === 0) return [];
  const froms = merges.map((m) => m.from);
  const intos = merges.map((m) => m.into);
  return MERGE_SQL.map((sql) => query(sql, sql.includes('$2') ? [froms, intos] : [froms]));
}

const MOVE_CHANNEL_EVENTS = `UPDATE events SET call_id = m.into_id
  FROM unnest($1::text[], $2::text[], $3::text[]) AS m(channel_id, from_id, into_id)
  WHERE events.call_id = m.from_id AND events.channel_id = m.channel_id`;

/** A moved channel's events follow it (after the merges, whose ids they use). */
export function channelMoveSteps(moves: PreparedBatch['channelMoves']): WriteStep[] {
  if (moves.length === 0) return [];
  return [query(MOVE_CHANNEL_EVENTS, [moves.map((m) => m.channelId), moves.map((m) => m.from), moves.map((m) => m.into)])];
}

export function callSteps(calls: CallRecord[], strict: boolean): WriteStep[] {
  return [...chunks(calls)].map((rows) => query(UPSERT_CALLS, callColumns(rows, strict)));
}

export function legSteps(legs: LegRow[]): WriteStep[] {
  return [...chunks(legs)].map((rows) => query(UPSERT_LEGS, columns(rows, LEG_COLUMNS)));
}

export function outboxSteps(outbox: OutboxInsert[], strict: boolean): WriteStep[] {
  const stringify = (rows: unknown[]) => (strict ? JSON.stringify(rows, jsonbSafeReplacer) : JSON.stringify(rows));
  return [...chunks(outbox)].map((rows) => query(INSERT_OUTBOX, [stringify(rows)]));
}
