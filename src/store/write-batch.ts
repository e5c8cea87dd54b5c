import type { EncodedEvents, EventRow, WriteBatch } from './types.ts';
import type { SqlClient, SqlDialect, WriteOptions, WriteStep } from './sql-client.ts';
import type { CallRecord } from '../domain/call.ts';
import { prepareBatch, type LegRow, type PreparedBatch } from './prepare-batch.ts';
import { cleanText, jsonbSafeReplacer, jsonbSafeText, rawText } from './copy-text.ts';
import { textArrayLiteral } from './array-literal.ts';
import { EVENTS_COPY, EventCopy, eventCopyOf, INVALID_EVENT_TYPE } from './event-copy.ts';
import { AppError, ERROR_CODES } from '../errors.ts';

// The ingest write path: one transaction per batch, every statement serialized before it opens. Events go
// in with COPY on PostgreSQL (one INSERT per CHUNK rows on the embedded database), then the merges (which
// also move rows of this batch written under an id their call has since left); calls and legs as one
// array parameter per column (unnest), CHUNK rows per statement: one parameter per column instead of
// thousands, parsed by PostgreSQL far more cheaply than JSON. The call's columns and its stored record
// come from the same CallRecord, so they cannot disagree. Outbox rows, few, go as one JSON array.

const CHUNK = 500;

// SQLSTATEs of JSON input PostgreSQL refused: invalid_text_representation, untranslatable_character,
// and character_not_in_repertoire (a NUL byte or broken UTF-8 in a binary COPY field).
const JSON_INPUT_ERRORS = new Set(['22P02', '22P05', '22021']);

const INSERT_EVENTS = `
INSERT INTO events (call_id, server, type, channel_id, received_at, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::json[])`;

const UPSERT_CALLS = `
INSERT INTO calls (id, server, status, disposition, direction, from_number, to_number, started_at, answered_at,
  ended_at, duration_ms, talk_ms, hangup_cause, hangup_cause_text, closed_by, event_count, updated_at, record)
SELECT * FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), unnest($3::text[]), unnest($4::text[]),
  unnest($5::text[]), unnest($6::text[]), unnest($7::text[]), unnest($8::timestamptz[]), unnest($9::timestamptz[]),
  unnest($10::timestamptz[]), unnest($11::bigint[]), unnest($12::bigint[]), unnest($13::int[]), unnest($14::text[]),
  unnest($15::text[]), unnest($16::int[]), unnest($17::timestamptz[]), json_array_elements($18::json))
ON CONFLICT (id) DO UPDATE SET
  server = EXCLUDED.server, status = EXCLUDED.status, disposition = EXCLUDED.disposition,
  direction = EXCLUDED.direction, from_number = EXCLUDED.from_number, to_number = EXCLUDED.to_number,
  started_at = EXCLUDED.started_at, answered_at = EXCLUDED.answered_at, ended_at = EXCLUDED.ended_at,
  duration_ms = EXCLUDED.duration_ms, talk_ms = EXCLUDED.talk_ms, hangup_cause = EXCLUDED.hangup_cause,
  hangup_cause_text = EXCLUDED.hangup_cause_text, closed_by = EXCLUDED.closed_by,
  event_count = EXCLUDED.event_count, updated_at = EXCLUDED.updated_at, record = EXCLUDED.record`;

const UPSERT_LEGS = `
INSERT INTO legs (channel_id, call_id, server, name, endpoint, created_at, answered_at, ended_at, cause, cause_text)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
  $7::timestamptz[], $8::timestamptz[], $9::int[], $10::text[])
ON CONFLICT (channel_id) DO UPDATE SET
  call_id = EXCLUDED.call_id, server = EXCLUDED.server, name = EXCLUDED.name, endpoint = EXCLUDED.endpoint,
  created_at = EXCLUDED.created_at, answered_at = EXCLUDED.answered_at, ended_at = EXCLUDED.ended_at,
  cause = EXCLUDED.cause, cause_text = EXCLUDED.cause_text`;

const INSERT_OUTBOX = `
INSERT INTO outbox (sink, call_id, event_type, idempotency_key, payload)
SELECT o->>'sink', o->>'callId', o->>'eventType', o->>'idempotencyKey', coalesce(o->'payload', 'null'::jsonb)
FROM jsonb_array_elements($1::jsonb) AS o
ON CONFLICT (idempotency_key) DO NOTHING`;

const BUMP_TYPE_COUNTS = `
INSERT INTO event_type_counts (type, count)
SELECT * FROM unnest($1::text[], $2::bigint[])
ON CONFLICT (type) DO UPDATE SET count = event_type_counts.count + EXCLUDED.count`;

const MERGE_SQL = [
  `UPDATE events SET call_id = m.into_id FROM unnest($1::text[], $2::text[]) AS m(from_id, into_id)
   WHERE events.call_id = m.from_id`,
  `UPDATE legs SET call_id = m.into_id FROM unnest($1::text[], $2::text[]) AS m(from_id, into_id)
   WHERE legs.call_id = m.from_id`,
  `DELETE FROM outbox WHERE call_id = ANY($1::text[]) AND status = 'pending'`,
  `DELETE FROM calls WHERE id = ANY($1::text[])`,
];

export async function writeBatch(client: SqlClient, batch: WriteBatch, options: WriteOptions = {}): Promise<void> {
  const prepared = prepareBatch(batch);
  const encoded = encodedOf(batch.encodedEvents, client.dialect);
  // Even an empty batch goes through the client when it must follow the previous write's outcome.
  if (isEmpty(prepared, encoded) && !options.afterPrevious) return;
  try {
    await write(client, prepared, encoded, false, options);
  } catch (err) {
    // Events are passed through as received for speed; when PostgreSQL refuses one of them as JSON,
    // the batch is written again with every text made jsonb-safe rather than lost. That second write
    // follows this very batch's failure, so it runs whatever came before.
    if (!JSON_INPUT_ERRORS.has((err as { code?: string }).code ?? '')) throw err;
    const safe = encoded?.withSafePayloads() ?? null;
    try {
      await write(client, prepared, safe, true, { onCommitUnknown: options.onCommitUnknown });
    } finally {
      safe?.release();
    }
  }
  // Durable: the batch's own COPY data is not needed again (until now a failed write could retry from it).
  encoded?.release();
}

/** One attempt. COPY data built here from EventRows is this attempt's own, given back when it settles. */
async function write(client: SqlClient, p: PreparedBatch, encoded: EventCopy | null, strict: boolean, options: WriteOptions): Promise<void> {
  const fromRows = client.dialect === 'postgres' && p.events.length > 0 ? eventCopyOf(p.events, strict) : null;
  try {
    await client.writeSteps(stepsOf(p, client.dialect, strict, fromRows, encoded), options);
  } finally {
    fromRows?.release();
  }
}

function encodedOf(events: EncodedEvents | undefined, dialect: SqlDialect): EventCopy | null {
  if (events === undefined) return null;
  if (dialect !== 'postgres' || !(events instanceof EventCopy)) {
    throw new AppError(ERROR_CODES.INTERNAL, 'encoded events were not made by this store (Store.encodeEvents)');
  }
  if (events.count > 0) return events;
  events.release();
  return null;
}

function isEmpty(p: PreparedBatch, encoded: EventCopy | null): boolean {
  return p.events.length + (encoded?.count ?? 0) + p.calls.length + p.merges.length + p.outbox.length === 0;
}

const query = (sql: string, params: readonly unknown[]): WriteStep => ({ kind: 'query', sql, params });

/** The whole transaction, serialized before it opens: the events (given as COPY data on PostgreSQL) first. */
function stepsOf(p: PreparedBatch, dialect: SqlDialect, strict: boolean, fromRows: EventCopy | null, encoded: EventCopy | null): WriteStep[] {
  const steps: WriteStep[] = [];
  if (dialect === 'pglite' && p.events.length > 0) steps.push(...eventInserts(p.events, strict));
  for (const copy of [fromRows, encoded]) if (copy !== null) steps.push({ kind: 'copy', sql: EVENTS_COPY, chunks: copy.chunks });
  // The events are the bulk of a batch; what follows is a few statements of merges, calls and legs.
  if (steps.length > 0) steps[steps.length - 1]!.bulk = true;
  if (p.merges.length > 0) {
    const froms = p.merges.map((m) => m.from);
    const intos = p.merges.map((m) => m.into);
    for (const sql of MERGE_SQL) steps.push(query(sql, sql.includes('$2') ? [froms, intos] : [froms]));
  }
  const stringify = (rows: unknown[]) => (strict ? JSON.stringify(rows, jsonbSafeReplacer) : JSON.stringify(rows));
  for (const rows of chunks(p.calls)) steps.push(query(UPSERT_CALLS, callColumns(rows, strict)));
  for (const rows of chunks(p.legs)) steps.push(query(UPSERT_LEGS, columns(rows, LEG_COLUMNS)));
  for (const rows of chunks(p.outbox)) steps.push(query(INSERT_OUTBOX, [stringify(rows)]));
  // Last, so the hot counter rows stay locked for the shortest time.
  const typeCounts = encoded === null ? p.typeCounts : withCounts(p.typeCounts, encoded.typeCounts);
  if (typeCounts.types.length > 0) steps.push(query(BUMP_TYPE_COUNTS, [typeCounts.types, typeCounts.counts]));
  return steps;
}

/** The rows' events per type (prepareBatch) and the encoded events' together, sorted by type. */
function withCounts(rows: PreparedBatch['typeCounts'], encoded: ReadonlyMap<string, number>): PreparedBatch['typeCounts'] {
  const counts = new Map(encoded);
  rows.types.forEach((type, i) => counts.set(type, (counts.get(type) ?? 0) + rows.counts[i]!));
  const types = [...counts.keys()].sort();
  return { types, counts: types.map((t) => counts.get(t)!) };
}

/** One parameter array per column (for `unnest`), each column read from every row by its getter. */
function columns<T, V>(rows: readonly T[], getters: readonly ((row: T) => V)[]): V[][] {
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
];

const LEG_COLUMNS: readonly ((l: LegRow) => unknown)[] = [
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
function callColumns(rows: CallRecord[], strict: boolean): unknown[] {
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
function eventInserts(events: EventRow[], strict: boolean): WriteStep[] {
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

function* chunks<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += CHUNK) yield rows.slice(i, i + CHUNK);
}
