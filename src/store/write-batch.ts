import type { BatchWriteOptions, EncodedEvents, EventRow, IngestMark, QuarantinedRow, WriteBatch } from './types.ts';
import type { SqlClient, SqlDialect, WriteOptions, WriteStep } from './sql-client.ts';
import { prepareBatch, type PreparedBatch } from './prepare-batch.ts';
import { BUMP_TYPE_COUNTS, callSteps, channelMoveSteps, eventInserts, legSteps, mergeSteps, outboxSteps, query, SET_INGEST_MARK, SET_SPILL_MARK } from './batch-statements.ts';
import { EVENTS_COPY, EventCopy, eventCopyOf } from './event-copy.ts';
import { isolateRefused, isRefusal, quarantineStep } from './isolate-batch.ts';
import { AppError, ERROR_CODES } from '../errors.ts';

// The ingest write path: one transaction per batch, every statement serialized before it opens. Events go
// in with COPY on PostgreSQL (one INSERT per CHUNK rows on the embedded database), then the merges (which
// also move rows of this batch written under an id their call has since left); calls and legs as one
// array parameter per column (unnest), CHUNK rows per statement: one parameter per column instead of
// thousands, parsed by PostgreSQL far more cheaply than JSON. The call's columns and its stored record
// come from the same CallRecord, so they cannot disagree. Outbox rows, few, go as one JSON array.

// SQLSTATEs of JSON input PostgreSQL refused: invalid_text_representation, untranslatable_character,
// and character_not_in_repertoire (a NUL byte or broken UTF-8 in a binary COPY field).
const JSON_INPUT_ERRORS = new Set(['22P02', '22P05', '22021']);

export async function writeBatch(client: SqlClient, batch: WriteBatch, options: BatchWriteOptions = {}): Promise<void> {
  const prepared = prepareBatch(batch);
  const encoded = encodedOf(batch.encodedEvents, client.dialect);
  // Even an empty batch goes through the client when it must follow the previous write's outcome.
  if (isEmpty(prepared, encoded) && !options.afterPrevious) return;
  try {
    await write(client, prepared, encoded, false, [], options, batch.mark);
  } catch (err) {
    if (!isRefusal(err)) throw err;
    // The writes below follow this very batch's failure, so they run whatever came before.
    await writeRefused(client, prepared, encoded, err, options, batch.mark);
  }
  // Durable: the batch's own COPY data is not needed again (until now a failed write could retry from it).
  encoded?.release();
}

/**
 * The database refused the batch. Events are passed through as received for speed, so first the batch is
 * written again with every text made jsonb-safe; when rows are still refused (or were refused for another
 * reason), they are isolated and put in quarantine, and the rest is written (isolate-batch.ts).
 */
async function writeRefused(
  client: SqlClient,
  prepared: PreparedBatch,
  encoded: EventCopy | null,
  refusal: unknown,
  options: BatchWriteOptions,
  mark: IngestMark | undefined,
): Promise<void> {
  const after = { onCommitUnknown: options.onCommitUnknown };
  if (JSON_INPUT_ERRORS.has((refusal as { code?: string }).code ?? '')) {
    const safe = encoded?.withSafePayloads() ?? null;
    try {
      await write(client, prepared, safe, true, [], after, mark);
      return;
    } catch (again) {
      if (!isRefusal(again)) throw again;
    } finally {
      safe?.release();
    }
  }
  let batch: PreparedBatch = encoded === null ? prepared : { ...prepared, events: [...prepared.events, ...movedByMerges(encoded.rows(), prepared.merges)] };
  const quarantined: QuarantinedRow[] = [];
  for (let round = 1; ; round++) {
    const isolated = await isolateRefused(client, batch);
    batch = isolated.kept;
    quarantined.push(...isolated.quarantined);
    try {
      await write(client, batch, null, true, quarantined, after, mark);
      break;
    } catch (err) {
      // The probe and the write differ only in how events travel (INSERT there, COPY here); a row refused by
      // one and not the other is isolated in another round.
      if (!isRefusal(err) || round >= MAX_ISOLATION_ROUNDS) throw err;
    }
  }
  options.onQuarantined?.(quarantined);
}

const MAX_ISOLATION_ROUNDS = 3;

/** Encoded rows carry the id their call had on arrival; the batch's merges say where each went since. */
function movedByMerges(rows: EventRow[], merges: PreparedBatch['merges']): EventRow[] {
  if (merges.length === 0) return rows;
  const into = new Map(merges.map((m) => [m.from, m.into]));
  for (const row of rows) if (row.callId !== null && into.has(row.callId)) row.callId = into.get(row.callId)!;
  return rows;
}

/** One attempt. COPY data built here from EventRows is this attempt's own, given back when it settles. */
async function write(
  client: SqlClient,
  p: PreparedBatch,
  encoded: EventCopy | null,
  strict: boolean,
  quarantined: readonly QuarantinedRow[],
  options: WriteOptions,
  mark: IngestMark | undefined,
): Promise<void> {
  const fromRows = client.dialect === 'postgres' && p.events.length > 0 ? eventCopyOf(p.events, strict) : null;
  try {
    const steps = stepsOf(p, client.dialect, strict, fromRows, encoded);
    if (quarantined.length > 0) steps.push(quarantineStep(quarantined));
    if (mark !== undefined) steps.push(query(SET_INGEST_MARK, [mark.run, mark.batch]));
    if (mark?.spill !== undefined) steps.push(query(SET_SPILL_MARK, [mark.spill]));
    await client.writeSteps(steps, options);
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

/** The whole transaction, serialized before it opens: the events (given as COPY data on PostgreSQL) first. */
function stepsOf(p: PreparedBatch, dialect: SqlDialect, strict: boolean, fromRows: EventCopy | null, encoded: EventCopy | null): WriteStep[] {
  const steps: WriteStep[] = [];
  if (dialect === 'pglite' && p.events.length > 0) steps.push(...eventInserts(p.events, strict));
  for (const copy of [fromRows, encoded]) if (copy !== null) steps.push({ kind: 'copy', sql: EVENTS_COPY, chunks: copy.chunks });
  // The events are the bulk of a batch; what follows is a few statements of merges, calls and legs.
  if (steps.length > 0) steps[steps.length - 1]!.bulk = true;
  steps.push(...mergeSteps(p.merges), ...channelMoveSteps(p.channelMoves), ...callSteps(p.calls, strict), ...legSteps(p.legs), ...outboxSteps(p.outbox, strict));
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
