import type { CallRecord } from '../domain/call.ts';
import { countedEventType } from '../domain/event-types.ts';
import { callSteps, channelMoveSteps, columns, eventInserts, legSteps, mergeSteps, outboxSteps, query } from './batch-statements.ts';
import { clipText } from '../domain/clip-text.ts';
import { cleanText, jsonbSafeReplacer, rawText } from './copy-text.ts';
import type { LegRow, PreparedBatch } from './prepare-batch.ts';
import type { SqlClient, WriteStep } from './sql-client.ts';
import type { EventRow, OutboxInsert, QuarantinedRow } from './types.ts';

// A batch the database refused for a reason retrying cannot fix (a value over an index entry's size, a number
// out of its column's range, text that is not JSON): rather than retrying it forever and stopping all ingest
// behind it, the rows it refuses are found and the batch is written without them, each kept in the
// `quarantine` table with the database's error. Finding them is a probe: the batch's statements are run in a
// transaction that is always rolled back, group by group under savepoints, halving a refused group until the
// single refused rows are left (a few dozen statements for one bad row in a batch of thousands). The write
// that follows is an ordinary one, with the quarantine rows as one more statement.

/**
 * SQLSTATE classes of values the database will refuse however often they are sent: data exceptions (22),
 * integrity constraints (23), program limits such as an index entry's size (54), and cardinality (21: one
 * statement touching a row twice, e.g. two keys the engine tells apart that the database stores alike).
 */
const REFUSAL_CLASSES = new Set(['21', '22', '23', '54']);

/** True when `error` is the database refusing data, not failing to take it (connection, locks, disk). */
export function isRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && REFUSAL_CLASSES.has(code.slice(0, 2));
}

/** What the database refused of a batch. */
interface Refused {
  events: Map<EventRow, unknown>;
  calls: Map<CallRecord, unknown>;
  legs: Map<LegRow, unknown>;
  outbox: Map<OutboxInsert, unknown>;
}

class ProbeDone extends Error {
  constructor(readonly refused: Refused) {
    super('probe rolled back');
  }
}

/** The batch without the rows the database refuses, and those rows as quarantine entries. */
export async function isolateRefused(client: SqlClient, p: PreparedBatch): Promise<{ kept: PreparedBatch; quarantined: QuarantinedRow[] }> {
  const refused = await probe(client, p);
  // A call that was refused takes its legs and deliveries with it: neither may point at a call that is absent.
  const refusedCalls = new Set([...refused.calls.keys()].map((c) => c.id));
  const calls = p.calls.filter((c) => !refused.calls.has(c));
  const legs = p.legs.filter((l) => !refused.legs.has(l) && !refusedCalls.has(l.callId));
  const outbox = p.outbox.filter((o) => !refused.outbox.has(o) && !refusedCalls.has(o.callId));
  const events = p.events.filter((e) => !refused.events.has(e));
  const counts = new Map<string, number>();
  for (const e of events) counts.set(countedEventType(e.type), (counts.get(countedEventType(e.type)) ?? 0) + 1);
  const types = [...counts.keys()].sort();

  const quarantined: QuarantinedRow[] = [];
  const withCall = 'its call was refused';
  for (const [e, error] of refused.events) quarantined.push(entry('event', e.callId, e.server, e.type, error, rawText(e.raw)));
  for (const [c, error] of refused.calls) quarantined.push(entry('call', c.id, c.server, null, error, JSON.stringify(c, jsonbSafeReplacer)));
  for (const l of p.legs) {
    const error = refused.legs.get(l) ?? (refusedCalls.has(l.callId) ? withCall : undefined);
    if (error !== undefined) quarantined.push(entry('leg', l.callId, l.server, null, error, JSON.stringify(l, jsonbSafeReplacer)));
  }
  for (const o of p.outbox) {
    const error = refused.outbox.get(o) ?? (refusedCalls.has(o.callId) ? withCall : undefined);
    if (error !== undefined) quarantined.push(entry('outbox', o.callId, null, o.eventType, error, JSON.stringify(o, jsonbSafeReplacer)));
  }
  return {
    kept: { ...p, events, calls, legs, outbox, typeCounts: { types, counts: types.map((t) => counts.get(t)!) } },
    quarantined,
  };
}

/** The statement that keeps the quarantined rows. */
export function quarantineStep(rows: readonly QuarantinedRow[]): WriteStep {
  return query(
    `INSERT INTO quarantine (kind, call_id, server, type, sqlstate, error, data)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
    columns(rows, [(r) => r.kind, (r) => r.callId, (r) => r.server, (r) => r.type, (r) => r.sqlstate, (r) => r.error, (r) => r.data]),
  );
}

/** Runs the batch's statements in a transaction that is always rolled back, noting each row refused. */
async function probe(client: SqlClient, p: PreparedBatch): Promise<Refused> {
  const refused: Refused = { events: new Map(), calls: new Map(), legs: new Map(), outbox: new Map() };
  try {
    await client.transaction(async (tx) => {
      await tryRows(tx, p.events, (rows) => eventInserts(rows, true), refused.events);
      for (const step of [...mergeSteps(p.merges), ...channelMoveSteps(p.channelMoves)]) await run(tx, step);
      await tryRows(tx, p.calls, (rows) => callSteps(rows, true), refused.calls);
      await tryRows(tx, p.legs, legSteps, refused.legs);
      await tryRows(tx, p.outbox, (rows) => outboxSteps(rows, true), refused.outbox);
      throw new ProbeDone(refused);
    });
  } catch (error) {
    if (error instanceof ProbeDone) return error.refused;
    throw error;
  }
  return refused;
}

/** Writes `rows` under a savepoint; when refused, halves them until the refused rows stand alone. */
async function tryRows<T>(tx: SqlClient, rows: T[], stepsFor: (rows: T[]) => WriteStep[], refused: Map<T, unknown>): Promise<void> {
  if (rows.length === 0) return;
  await tx.query('SAVEPOINT isolate');
  try {
    for (const step of stepsFor(rows)) await run(tx, step);
    await tx.query('RELEASE SAVEPOINT isolate');
    return;
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT isolate');
    await tx.query('RELEASE SAVEPOINT isolate');
    if (!isRefusal(error)) throw error;
    if (rows.length === 1) {
      refused.set(rows[0]!, error);
      return;
    }
  }
  const half = rows.length >> 1;
  await tryRows(tx, rows.slice(0, half), stepsFor, refused);
  await tryRows(tx, rows.slice(half), stepsFor, refused);
}

async function run(tx: SqlClient, step: WriteStep): Promise<void> {
  if (step.kind !== 'query') throw new Error('the probe runs queries only');
  await tx.query(step.sql, step.params);
}

const FIELD_CHARS = 256;
const ERROR_CHARS = 1_000;

function entry(kind: QuarantinedRow['kind'], callId: string | null, server: string | null, type: string | null, error: unknown, data: string): QuarantinedRow {
  const clip = (value: string | null) => (value === null ? null : clipText(cleanText(value), FIELD_CHARS));
  const message = typeof error === 'string' ? error : error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return {
    kind,
    callId: clip(callId),
    server: clip(server),
    type: clip(type),
    sqlstate: typeof code === 'string' ? code : null,
    error: clipText(cleanText(message), ERROR_CHARS),
    data: cleanText(data),
  };
}
