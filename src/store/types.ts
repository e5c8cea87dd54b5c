import type { WriteOptions } from './sql-client.ts';
import type { CallRecord, CallStatus, Direction, Disposition } from '../domain/call.ts';

// The store port. Two adapters implement it: PostgreSQL (node-postgres) and the embedded PGlite.

/** One raw ARI event as received, kept verbatim so any call can be rebuilt from its events. */
export interface EventRow {
  /** Call the event belongs to; null for events with no channel (BridgeCreated, DeviceStateChanged, ...). */
  callId: string | null;
  server: string;
  /** ARI event type (`ChannelCreated`, ...), or `Invalid` for nothing the engine could read. */
  type: string;
  /** Channel the event is filed under, if any. */
  channelId: string | null;
  /** When the engine received it (ISO-8601 UTC). */
  receivedAt: string;
  /**
   * The raw event JSON text exactly as received: a string, or its UTF-8 bytes (what an ARI socket
   * delivered, stored as they are).
   */
  raw: string | Uint8Array;
}

export interface StoredEvent extends Omit<EventRow, 'raw'> {
  /** Arrival order: strictly increasing in the order events were written. */
  seq: number;
  event: unknown;
}

/**
 * A batch's events already encoded for the store, row by row as they were ingested (Store.encodeEvents),
 * instead of an EventRow each. A row carries the id its call had when the event arrived; `merges` moves
 * the rows of ids that changed since (the store applies merges after writing the batch's events).
 */
export interface EncodedEvents {
  readonly count: number;
  readonly typeCounts: ReadonlyMap<string, number>;
  /** Arrival times as runs: `arrivalCounts[i]` events in a row arrived at `arrivalMs[i]` (Unix ms). */
  readonly arrivalMs: readonly number[];
  readonly arrivalCounts: readonly number[];
  /** The events back as rows, in order (while the batch is not yet durable). */
  rows(): EventRow[];
}

/** Encodes a batch's events one at a time, as they arrive; `finish()` once, into WriteBatch.encodedEvents. */
export interface EventEncoder {
  readonly count: number;
  add(callId: string | null, server: string, type: string, channelId: string | null, receivedAtMs: number, raw: string | Uint8Array): void;
  finish(): EncodedEvents;
}

/** Everything one ingest batch changes, committed in one transaction. */
export interface WriteBatch {
  events: EventRow[];
  /** More events of the batch, encoded by this store's encodeEvents(); written after `events`. */
  encodedEvents?: EncodedEvents;
  /** Latest snapshot of every call the batch touched (insert or replace). */
  calls: CallRecord[];
  /**
   * Calls found to be parts of another call: their events and legs move to `into`, the call row goes. Also
   * ids that encoded events were written under and that their call no longer has.
   */
  merges: { from: string; into: string }[];
  /**
   * Channels Asterisk moved to another call (another linkedid) out of a call that keeps other legs, in order: the
   * events stored with the channel under `from` go to `into` (applied after the merges).
   */
  channelMoves?: { channelId: string; from: string; into: string }[];
  /** Outbox deliveries enqueued in the same transaction as the call state they report. */
  outbox: OutboxInsert[];
  /**
   * Which ingest batch this is: written in the batch's own transaction (table ingest_marks), so that after a
   * stop that left the batch's outcome unknown the next start can tell whether it was stored (spool.ts).
   */
  mark?: IngestMark;
  /**
   * Per call id, the channels whose stored leg row already equals the leg in this batch's snapshot of
   * that call; their rows are not written again. Absent: every leg of every call is written.
   */
  storedLegs?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** A row the database refused for a reason retrying cannot fix, kept with its error (isolate-batch.ts). */
export interface QuarantinedRow {
  kind: 'event' | 'call' | 'leg' | 'outbox';
  callId: string | null;
  server: string | null;
  /** The event type, or the delivery's event type. */
  type: string | null;
  /** PostgreSQL's SQLSTATE of the refusal, when it gave one. */
  sqlstate: string | null;
  error: string;
  /** The refused row as JSON text (an event: its raw text). */
  data: string;
}

export interface StoredQuarantinedRow extends QuarantinedRow {
  id: number;
  createdAt: string;
}

/** Options of Store.writeBatch beyond the client's. */
export interface BatchWriteOptions extends WriteOptions {
  /** Rows of the batch the database refused were put in quarantine; the rest of the batch is written. */
  onQuarantined?: (rows: readonly QuarantinedRow[]) => void;
}

/** An ingest run (one engine process) and the number of one of its batches, counted from 1 in write order. */
export interface IngestMark {
  run: string;
  batch: number;
  /** The last spill log record (src/app/spill-log.ts) whose events this batch, or one before it, holds. */
  spill?: number;
}

/** A time the engine could not see a server's events (its socket down, or the engine not running). */
export interface IngestGap {
  server: string;
  from: string;
  to: string;
  reason: 'disconnected' | 'engine_down';
}

/** What a gap's backfill from CEL found (src/app/cel-backfill.ts). */
export interface GapBackfill {
  /** CEL rows of the window read, and those refused (malformed: counted, logged, passed over). */
  rows: number;
  invalid: number;
  /** Channels the engine had never seen, created from CEL; channels it knew whose answer or end CEL gave. */
  newChannels: number;
  correctedChannels: number;
  /** Calls (CEL linked ids) the backfill touched. */
  calls: number;
}

/** A recorded gap as listed. */
export type StoredGap = IngestGap & { id: number; backfilledAt: string | null; backfill: GapBackfill | null };

/** A delivery to a CRM or webhook sink (see src/crm). Inserted once per idempotency key. */
export interface OutboxInsert {
  sink: string;
  callId: string;
  /** `call.created`, `call.answered`, `call.finished`, ... */
  eventType: string;
  /** Stable across retries and replays: `${sink}:${callId}:${eventType}`. */
  idempotencyKey: string;
  payload: unknown;
}

export interface CallFilter {
  status?: CallStatus[];
  disposition?: Disposition[];
  direction?: Direction[];
  server?: string;
  /** Calls of this tenant only. */
  tenantId?: string;
  /** Calls whose `from` or `to` is one of these (an agent's own extensions); empty: none. */
  parties?: string[];
  /** Prefix of `from` or `to`. */
  number?: string;
  /** startedAt >= since (ISO-8601). */
  since?: string;
  /** startedAt < until (ISO-8601). */
  until?: string;
}

export interface CallPage {
  items: CallRecord[];
  /** Opaque cursor for the next (older) page; null at the end. */
  nextCursor: string | null;
}

/** A page of one call's raw events, in arrival order. */
export interface StoredEventPage {
  items: StoredEvent[];
  /** The `seq` to read on after (the last item's); null when no event follows. */
  nextCursor: number | null;
}

/** A CallPage whose items are each a CallRecord as the JSON text the store holds (sent out as is). */
export interface CallPageJson {
  items: string[];
  nextCursor: string | null;
}

export interface StoreStats {
  calls: number;
  events: number;
  eventsByType: Record<string, number>;
}

export interface CallStats {
  total: number;
  /** Calls with an answer time, finished or still talking. */
  answered: number;
  finished: number;
  /** Finished calls whose disposition is `answered`, over finished calls; 0 when none has finished. */
  answerRate: number;
  byDisposition: Record<string, number>;
  byDirection: Record<string, number>;
  /** Calls per hour bucket (ISO-8601 hour start), oldest first. */
  perHour: { hour: string; total: number; answered: number }[];
  avgTalkMs: number | null;
  p90TalkMs: number | null;
  /** Numbers (from or to) with the most calls, most first, at most 10. */
  busiestNumbers: { number: string; calls: number }[];
}

export interface Store {
  readonly kind: 'postgres' | 'embedded';
  /** Applies pending migrations; safe when several instances call it at once. */
  migrate(): Promise<void>;
  /**
   * Writes one ingest batch in one transaction. Batches are written in the order they are handed over;
   * with `afterPrevious` a batch is written only if the one handed over just before it was (see
   * WriteOptions), so the next batch can be queued while one is written.
   */
  writeBatch(batch: WriteBatch, options?: BatchWriteOptions): Promise<void>;
  /**
   * For stores that take events in bulk (PostgreSQL's binary COPY): an encoder for one batch's events, to be
   * written as WriteBatch.encodedEvents. Absent, events go to the store as EventRows.
   */
  encodeEvents?(): EventEncoder;
  getCall(id: string): Promise<CallRecord | null>;
  /** Newest first (startedAt desc, id desc). `limit` is 1..500. */
  listCalls(filter: CallFilter, cursor: string | null, limit: number): Promise<CallPage>;
  /** The same page with each record as stored JSON text: what the API sends without re-serializing. */
  listCallsJson(filter: CallFilter, cursor: string | null, limit: number): Promise<CallPageJson>;
  /** All events of a call in arrival order. */
  getEvents(callId: string): Promise<StoredEvent[]>;
  /**
   * Up to `limit` (1..2000) events of a call in arrival order, those with a `seq` above `afterSeq` (from the
   * first when null): one page of getEvents, for readers that cannot take a long call's events at once.
   */
  getEventsPage(callId: string, afterSeq: number | null, limit: number): Promise<StoredEventPage>;
  /** The stored calls of `server` holding these channels, by channel id (channels no call holds are left out). */
  callIdsOfChannels(server: string, channelIds: readonly string[]): Promise<Map<string, string>>;
  /** Calls not finished, optionally of one server (used by resync after a restart). */
  openCalls(server?: string): Promise<CallRecord[]>;
  stats(): Promise<StoreStats>;
  /** Aggregates over the calls the filter selects (dashboard statistics). */
  callStats(filter: CallFilter): Promise<CallStats>;
  /** Every filtered call, newest first, streamed in pages (CSV export). */
  iterateCalls(filter: CallFilter): AsyncIterable<CallRecord>;
  /** The last batch of an ingest run that was stored (0: none). */
  lastIngestMark(run: string): Promise<number>;
  /** Forgets an ingest run's mark (its spool has been taken in). */
  dropIngestMark(run: string): Promise<void>;
  /** Records a gap; resolves with its id. */
  recordGap(gap: IngestGap): Promise<number>;
  /** Notes that a gap was backfilled from CEL, and what that found. */
  markGapBackfilled(id: number, backfill: GapBackfill): Promise<void>;
  /** Gaps newest first, optionally of one server; `before` is the last id of the previous page. */
  listGaps(server: string | null, before: number | null, limit: number): Promise<StoredGap[]>;
  /** When an earlier engine run last stored a batch (null: none did). */
  lastRunActivityAt(exceptRun: string): Promise<string | null>;
  /** Rows put in quarantine, newest first; `before` is the last id of the previous page. */
  listQuarantine(before: number | null, limit: number): Promise<{ items: StoredQuarantinedRow[]; total: number }>;
  /** Throws when the database cannot answer a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
