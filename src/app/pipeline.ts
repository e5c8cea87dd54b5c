import { ClipTally, EVENT_LIMITS } from '../ari/event-limits.ts';
import { isEngineMade, normalizeAriEvent, parseAriEvent } from '../ari/normalize.ts';
import type { CallRecord } from '../domain/call.ts';
import type { CallEvent } from '../domain/events.ts';
import type { CallState } from '../domain/call-state.ts';
import type { DirectionPolicy } from '../domain/direction.ts';
import { CallRegistry, resolve, type CallHandle } from '../domain/grouping.ts';
import { callIdOf, isFinished, toRecord } from '../domain/record.ts';
import type { TenantOf } from '../domain/tenant.ts';
import { AppError, ERROR_CODES, isAppError } from '../errors.ts';
import type { EventEncoder, OutboxInsert, WriteBatch } from '../store/types.ts';
import { pendingEvents, type PendingEvents } from './pending-events.ts';

// The ingest pipeline: raw text → parse → normalize → group → state machine, then batches of
// everything that changed, ready for one store transaction. Synchronous and free of I/O; the
// Ingestor (ingestor.ts) drives it and owns the timing.

export interface CallChange {
  previous: CallRecord | null;
  current: CallRecord;
}

export type LiveMessage =
  | { type: 'call.created' | 'call.updated' | 'call.finished'; call: CallRecord }
  | { type: 'call.merged'; from: string; into: string };

export interface DrainedBatch {
  batch: WriteBatch;
  changes: CallChange[];
  live: LiveMessage[];
}

export interface IngestOk {
  ok: true;
  type: string;
  callId: string | null;
  /** The call the event was filed under: `currentCallId` tells its id after later merges. */
  call: CallHandle | null;
  /** The channel the event was filed under, if any. */
  channelId: string | null;
}
export interface IngestFailed {
  ok: false;
  error: AppError;
}

export interface PipelineOptions {
  policy: DirectionPolicy;
  /**
   * The tenant of a call founded by a channel (a TenantDirectory's tenantOf); absent: every call is the default
   * tenant's. Asked once per call, when the call is founded.
   */
  tenantOf?: TenantOf;
  /** Outbox deliveries for a call change (CRM and webhook sinks). */
  planOutbox?: (change: CallChange) => OutboxInsert[];
  /** The store's encoder of events (Store.encodeEvents): events are encoded as they arrive. */
  encodeEvents?: () => EventEncoder;
}

export class Pipeline {
  private readonly registries = new Map<string, CallRegistry>();
  /**
   * What the store holds of each call: the facts its last written record was derived from (immutable, and
   * usually the very state the call is in now, so it costs nothing). That record's id and status follow
   * from them; the record itself is rebuilt only when a change's `previous` is read.
   */
  private readonly persisted = new WeakMap<CallHandle, CallState>();
  private pending: PendingEvents;
  private touched = new Set<CallHandle>();
  private absorbed: CallHandle[] = [];
  private order = 0;
  /** Calls written finished, in that order, with when (two arrays: no object per call). */
  private finishedQueue: CallHandle[] = [];
  private finishedAtMs: number[] = [];
  /** Calls in finishedQueue: a call reopened by a late event is queued again only once it left it. */
  private readonly awaitingEviction = new WeakSet<CallHandle>();
  invalidCount = 0;
  /** Texts clipped and numbers dropped by the normalizer (event-limits.ts), until the engine reports them. */
  readonly clips = new ClipTally();
  // Events arrive in bursts within the same millisecond; formatting the arrival time once per
  // millisecond instead of once per event saves a good part of the per-event cost.
  private lastReceivedMs = Number.NaN;
  private lastReceivedIso = '';
  /**
   * When the latest event ingested so far arrived (ms; 0 before any). Behind the wall clock while events read
   * back from the spill log or the stop spool are taken in: those arrived during an outage.
   */
  latestArrivalMs = 0;
  /** Per server, the latest time of an event it sent (its calls' events restored at start-up included). */
  private readonly lastHeard = new Map<string, string>();

  constructor(private readonly options: PipelineOptions) {
    this.pending = pendingEvents(options.encodeEvents);
  }

  registry(server: string): CallRegistry {
    let r = this.registries.get(server);
    if (!r) {
      r = new CallRegistry(server, this.options.tenantOf);
      this.registries.set(server, r);
    }
    return r;
  }

  get pendingCount(): number {
    return this.pending.count;
  }

  /** True when a drain would write something. */
  get hasChanges(): boolean {
    return this.pending.count > 0 || this.touched.size > 0 || this.absorbed.length > 0;
  }

  /**
   * Loads calls from their stored events (open calls after a restart) without writing anything:
   * the calls are marked as already persisted with the record the events give. The call `stored` names
   * keeps its stored tenant rather than being given one by the rules of now.
   */
  hydrate(server: string, events: Iterable<{ event: unknown; receivedAt: string }>, stored?: Pick<CallRecord, 'id' | 'tenantId'>): void {
    const saved = { pending: this.pending, touched: this.touched, absorbed: this.absorbed };
    this.pending = pendingEvents();
    this.touched = new Set();
    this.absorbed = [];
    for (const e of events) {
      const raw = e.event as Record<string, unknown>;
      try {
        const event = normalizeAriEvent(raw, e.receivedAt);
        this.heard(server, event);
        const call = this.registry(server).process(event, ++this.order, this.absorbed);
        if (call) this.touched.add(call);
      } catch {
        // A stored event the normalizer rejects now was accepted before: nothing to rebuild from it.
      }
    }
    for (const h of this.touched) {
      const current = resolve(h);
      if (stored !== undefined && callIdOf(current.state) === stored.id) this.registry(server).keepTenant(current, stored.tenantId);
      this.persisted.set(current, current.state);
    }
    // The events were stored where these moves put them.
    this.registry(server).takeMoves();
    this.pending = saved.pending;
    this.touched = saved.touched;
    this.absorbed = saved.absorbed;
  }

  /**
   * Ingests one raw event text; `bytes`, when given, is the same text as received and is what gets stored.
   * Bad input is reported, never thrown, and changes nothing.
   */
  ingestText(text: string, receivedAt: Date, server: string, bytes?: Uint8Array): IngestOk | IngestFailed {
    try {
      checkSize(bytes === undefined ? text : bytes);
      return this.ingestParsed(parseAriEvent(text), bytes ?? text, receivedAt, server);
    } catch (error) {
      return this.failed(error);
    }
  }

  /** Ingests an already parsed event; `raw` is its text as received (serialized when absent). */
  ingestObject(event: unknown, receivedAt: Date, server: string, raw?: string): IngestOk | IngestFailed {
    try {
      if (typeof event !== 'object' || event === null || Array.isArray(event)) {
        throw new AppError(ERROR_CODES.EVENT_INVALID, 'event must be a JSON object');
      }
      const text = raw ?? JSON.stringify(event);
      checkSize(text);
      return this.ingestParsed(event as Record<string, unknown>, text, receivedAt, server);
    } catch (error) {
      return this.failed(error);
    }
  }

  private failed(error: unknown): IngestFailed {
    this.invalidCount++;
    const appError = isAppError(error) ? error : new AppError(ERROR_CODES.EVENT_INVALID, 'event could not be processed', { cause: error });
    return { ok: false, error: appError };
  }

  private isoOf(receivedAt: Date): string {
    const ms = receivedAt.getTime();
    if (ms !== this.lastReceivedMs) {
      this.lastReceivedIso = receivedAt.toISOString();
      this.lastReceivedMs = ms;
      if (ms > this.latestArrivalMs) this.latestArrivalMs = ms;
    }
    return this.lastReceivedIso;
  }

  private ingestParsed(raw: Record<string, unknown>, text: string | Uint8Array, receivedAt: Date, server: string): IngestOk {
    const receivedIso = this.isoOf(receivedAt);
    const event = normalizeAriEvent(raw, receivedIso, this.clips);
    this.heard(server, event);
    const order = ++this.order;
    const call = this.registry(server).process(event, order, this.absorbed);
    if (call) this.touched.add(call);
    const first = event.kind === 'other' ? event.channelIds[0] : event.kind === 'recording' || event.kind === 'routing_step' ? event.channelId : undefined;
    const channelId = call ? (first ?? channelIdOf(raw)) : (first ?? null);
    this.pending.add(call, server, event.type, channelId, receivedAt, receivedIso, text);
    return { ok: true, type: event.type, callId: call ? callIdOf(call.state) : null, call, channelId };
  }

  private heard(server: string, event: CallEvent): void {
    if (isEngineMade(event.type)) return;
    const last = this.lastHeard.get(server);
    if (last === undefined || event.at > last) this.lastHeard.set(server, event.at);
  }

  /**
   * The time of the latest event `server` sent that the engine took in (Asterisk's clock), or null: what a
   * resync ends the calls it finds gone at (resync-times.ts). Engine-made events do not count.
   */
  lastHeardFrom(server: string): string | null {
    return this.lastHeard.get(server) ?? null;
  }

  /** The id a call has now: the surviving call's, when it was merged into another since. */
  currentCallId(call: CallHandle): string {
    return callIdOf(resolve(call).state);
  }

  /** The current record of the call holding a channel, if the engine holds it in memory. */
  recordOfChannel(server: string, channelId: string): CallRecord | null {
    const h = this.registries.get(server)?.callOfChannel(channelId);
    return h ? toRecord(resolve(h).state, this.options.policy) : null;
  }

  /** Open (not finished) calls held in memory. */
  openCalls(): CallRecord[] {
    const out: CallRecord[] = [];
    for (const registry of this.registries.values()) {
      for (const h of registry.calls()) {
        const record = toRecord(h.state, this.options.policy);
        if (record.status !== 'finished') out.push(record);
      }
    }
    return out;
  }

  /**
   * Takes everything ingested since the last drain as one write batch. The batch counts as written from
   * here on: the next drain compares against it (new calls, changed legs, finished calls). The ingestor
   * makes that true by writing batches strictly in drain order and retrying each until it is durable.
   */
  drain(nowMs: number): DrainedBatch {
    const taken = this.pending.take();
    const touched = this.touched;
    const absorbed = this.absorbed;
    this.touched = new Set();
    this.absorbed = [];

    const merges: WriteBatch['merges'] = [];
    const live: LiveMessage[] = [];
    for (const gone of absorbed) {
      const written = this.persisted.get(gone);
      const from = written === undefined ? null : callIdOf(written);
      const into = callIdOf(resolve(gone).state);
      if (from && from !== into) {
        merges.push({ from, into });
        live.push({ type: 'call.merged', from, into });
      }
      touched.delete(gone);
      touched.add(resolve(gone));
    }
    const calls: CallRecord[] = [];
    const changes: CallChange[] = [];
    const storedLegs = new Map<string, Set<string>>();
    for (const h of touched) {
      if (h.mergedInto) continue;
      const record = toRecord(h.state, this.options.policy);
      const written = this.persisted.get(h) ?? null;
      const writtenId = written === null ? null : callIdOf(written);
      if (writtenId && writtenId !== record.id) {
        merges.push({ from: writtenId, into: record.id });
        live.push({ type: 'call.merged', from: writtenId, into: record.id });
      }
      calls.push(record);
      // A leg the call kept as the very object it had when last written has not changed since.
      if (written !== null && writtenId === record.id) {
        const before = written.legs;
        const same = h.state.legs.filter((leg) => before.includes(leg)).map((leg) => leg.channelId);
        if (same.length > 0) storedLegs.set(record.id, new Set(same));
      }
      changes.push(changeOf(written, record, this.options.policy));
      const finished = record.status === 'finished';
      if (written === null) live.push({ type: 'call.created', call: record });
      if (finished && !(written !== null && isFinished(written))) live.push({ type: 'call.finished', call: record });
      else if (written !== null) live.push({ type: 'call.updated', call: record });
      this.persisted.set(h, h.state);
      if (finished && !this.awaitingEviction.has(h)) {
        this.awaitingEviction.add(h);
        this.finishedQueue.push(h);
        this.finishedAtMs.push(nowMs);
      }
    }
    // Rows written under an id their call has left: moved with the merges, announced to nobody.
    merges.push(...taken.renamed);
    const channelMoves: NonNullable<WriteBatch['channelMoves']> = [];
    for (const registry of this.registries.values()) {
      for (const m of registry.takeMoves()) {
        const from = callIdOf(resolve(m.from).state);
        const into = callIdOf(resolve(m.into).state);
        if (from !== into) channelMoves.push({ channelId: m.channelId, from, into });
      }
    }
    const outbox = this.options.planOutbox ? changes.flatMap(this.options.planOutbox) : [];
    const batch: WriteBatch = { events: taken.events, calls, merges, outbox, storedLegs };
    if (channelMoves.length > 0) batch.channelMoves = channelMoves;
    if (taken.encoded !== null) batch.encodedEvents = taken.encoded;
    return { batch, changes, live };
  }

  /** Forgets finished calls older than the grace period (late events within it still reach them). */
  evictFinished(nowMs: number, graceMs: number): number {
    let evicted = 0;
    while (this.finishedQueue.length > 0) {
      if (nowMs - this.finishedAtMs[0]! < graceMs) break;
      const h = this.finishedQueue.shift()!;
      this.finishedAtMs.shift();
      const current = resolve(h);
      // The status alone, not the whole record: this runs for every finished call after every commit.
      if (current.mergedInto === null && isFinished(current.state)) {
        this.registry(current.state.server).release(current);
        evicted++;
      } else if (current !== h) {
        // Merged after finishing: the surviving call is tracked on its own.
        continue;
      } else {
        this.awaitingEviction.delete(h); // reopened by a late event; queued again when it finishes again
      }
    }
    return evicted;
  }
}

/** A change whose `previous` record is rebuilt from the persisted facts on first read. */
function changeOf(before: CallState | null, current: CallRecord, policy: DirectionPolicy): CallChange {
  let previous: CallRecord | null | undefined;
  return {
    get previous(): CallRecord | null {
      if (previous === undefined) previous = before === null ? null : toRecord(before, policy);
      return previous;
    },
    current,
  };
}

/** Refuses a raw event over EVENT_LIMITS.eventBytes (its UTF-8 bytes, counted only when it could be over). */
function checkSize(raw: string | Uint8Array): void {
  const max = EVENT_LIMITS.eventBytes;
  if (raw.length <= max / 3) return;
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.length;
  if (bytes > max) throw new AppError(ERROR_CODES.EVENT_INVALID, `event is ${bytes} bytes, over the ${max}-byte limit`);
}

function channelIdOf(raw: Record<string, unknown>): string | null {
  for (const key of ['channel', 'peer', 'transferer_first_leg']) {
    const c = raw[key];
    if (typeof c === 'object' && c !== null && typeof (c as { id?: unknown }).id === 'string') return (c as { id: string }).id;
  }
  return null;
}
