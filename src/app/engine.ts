import type { Logger } from 'pino';
import type { AriConnection } from '../ari/client.ts';
import type { AriBridge, AriChannel } from '../ari/types.ts';
import type { CallRecord } from '../domain/call.ts';
import type { CallHandle } from '../domain/grouping.ts';
import type { DirectionPolicy } from '../domain/direction.ts';
import type { TenantOf } from '../domain/tenant.ts';
import { countedEventType } from '../domain/event-types.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import { eventCount, forEachArrival } from '../store/batch-events.ts';
import type { Store } from '../store/types.ts';
import { Ingestor } from './ingestor.ts';
import type { LiveHubLimits } from './live-hub.ts';
import { LiveHubs } from './live-hubs.ts';
import type { EngineMetrics } from './metrics.ts';
import { Pipeline, type CallChange, type IngestFailed, type IngestOk } from './pipeline.ts';
import { RateMeter } from './rate-meter.ts';
import type { Spool } from './spool.ts';
import { Spill } from './spill.ts';
import type { SpillLog } from './spill-log.ts';
import type { SpilledRecord } from './spill-records.ts';
import { SPILL_MARK_RUN } from '../store/batch-statements.ts';
import { rebuildFromEvents } from './rebuild.ts';
import { openChannelIds, restoreCallsOfLiveChannels, resyncEvents } from './resync.ts';
import { StaleSweep, sweepSourcesOf, type SweepOptions } from './stale-sweep.ts';
import type { OutboxInsert } from '../store/types.ts';

// The runtime: event sources in, durable call records and live messages out. Built by the
// composition root (compose.ts) from plain objects; holds no globals.

const CLIP_WARNING_MS = 10_000;

/** A spilled StasisStart's channel, read at once: a server without subscribeAll must subscribe to it now. */
function stasisStartOf(raw: Uint8Array | string): { type: string; channelId: string | null } | Record<string, never> {
  // Searched in the bytes as received: the other events are never decoded here, only when read back.
  const bytes = typeof raw === 'string' ? null : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytes === null ? !(raw as string).includes('"StasisStart"') : !bytes.includes('"StasisStart"')) return {};
  try {
    const event = JSON.parse(bytes === null ? (raw as string) : bytes.toString('utf8')) as { type?: unknown; channel?: { id?: unknown } };
    if (event.type !== 'StasisStart') return {};
    return { type: 'StasisStart', channelId: typeof event.channel?.id === 'string' ? event.channel.id : null };
  } catch {
    return {};
  }
}
/** Spooled events are flushed in groups of this many while taken in at start. */
const SPOOL_FLUSH_EVENTS = 2_000;

export interface EventSource {
  readonly name: string;
  readonly kind: 'ari' | 'simulator';
  start(): void;
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
}

export interface EngineDeps {
  store: Store;
  logger: Logger;
  metrics: EngineMetrics;
  policy: DirectionPolicy;
  /** The tenant of each call the engine founds, and of each it rebuilds (absent: the default tenant's). */
  tenantOf?: TenantOf;
  ingest: { batchSize: number; flushIntervalMs: number; maxBufferedEvents: number; finishedGraceMs?: number };
  planOutbox?: (change: CallChange) => OutboxInsert[];
  /** Where a stop keeps the events the database did not take in time; absent: they are counted as lost. */
  spool?: Spool;
  /**
   * Where events go while the database falls behind, so that sources are never paused (spill.ts); absent:
   * sources are paused instead (tests, benchmarks of the pipeline alone).
   */
  spillLog?: SpillLog;
  /** How long a stop waits for the database before spooling what is left (default: as long as it takes). */
  stopDeadlineMs?: number;
  /** Closes calls that stopped getting events (see stale-sweep.ts); off when absent. */
  sweep?: SweepOptions;
  /** Bounds of the live stream's replay buffer and snapshots (defaults in live-hub.ts). */
  live?: Partial<LiveHubLimits>;
}

export interface InjectResult {
  accepted: number;
  rejected: { index: number; code: string; message: string }[];
  callIds: string[];
}

export class Engine {
  readonly pipeline: Pipeline;
  readonly ingestor: Ingestor;
  /** The live streams: the whole engine's and each tenant's (live-hubs.ts). */
  readonly hubs: LiveHubs;
  readonly eventRate = new RateMeter(10_000);
  private readonly sources: EventSource[] = [];
  readonly connections: AriConnection[] = [];
  /** Events go to disk while the database falls behind (null: sources are paused instead). */
  readonly spill: Spill | null;
  /** Rows put in quarantine since start (shown in /health). */
  quarantinedRows = 0;
  private readonly log: Logger;
  private readonly clipsUnwarned = new Map<string, number>();
  private lastClipWarningMs = Number.NEGATIVE_INFINITY;
  readonly sweep: StaleSweep | null;

  constructor(private readonly deps: EngineDeps) {
    this.log = deps.logger;
    this.sweep = deps.sweep
      ? new StaleSweep({
          options: deps.sweep,
          logger: deps.logger,
          // While events are spilled the calls lag behind their stream: nothing is judged silent then.
          openCalls: () => (this.spill?.isActive ? [] : this.activeCalls()),
          sources: () => sweepSourcesOf(this.connections, this.sources),
          ingest: async (batches) => {
            for (const { server, events } of batches) this.acceptEngineEvents(server, events);
            await this.ingestor.flush();
          },
          onSwept: (reason) => deps.metrics.callsSwept.inc({ reason }),
        })
      : null;
    this.pipeline = new Pipeline({
      policy: deps.policy,
      tenantOf: deps.tenantOf,
      planOutbox: deps.planOutbox,
      encodeEvents: deps.store.encodeEvents,
    });
    this.hubs = new LiveHubs({ ...deps.live, openCalls: () => this.pipeline.openCalls() });
    const { metrics } = deps;
    this.ingestor = new Ingestor({
      pipeline: this.pipeline,
      store: deps.store,
      logger: deps.logger,
      ...deps.ingest,
      onCommitted: (drained, writeMs) => {
        const now = Date.now();
        metrics.batchSeconds.observe(writeMs / 1000);
        metrics.batchEvents.observe(eventCount(drained.batch));
        forEachArrival(drained.batch, (arrivedAtMs, events) => metrics.commitLagSeconds.observe((now - arrivedAtMs) / 1000, events));
        this.spill?.committed(drained.batch.mark?.spill);
        this.hubs.publish(drained.live);
      },
      onQuarantined: (rows) => {
        this.quarantinedRows += rows.length;
        for (const row of rows) metrics.quarantined.inc({ kind: row.kind });
        this.log.error(
          { rows: rows.length, kinds: [...new Set(rows.map((r) => r.kind))], sqlstates: [...new Set(rows.map((r) => r.sqlstate))] },
          'the database refused rows of a batch for good: they were put in quarantine (GET /api/quarantine) and the rest was written',
        );
      },
      onBackpressure: (full) => {
        metrics.ingestPaused.set(full ? 1 : 0);
        if (this.spill) {
          if (full) this.spill.begin();
          else this.spill.resume();
          return;
        }
        for (const s of this.sources) {
          if (full) s.pause();
          else s.resume();
        }
      },
    });
    this.spill = deps.spillLog
      ? new Spill({
          log: deps.spillLog,
          logger: deps.logger,
          take: (record, seq) => this.takeSpilled(record, seq),
          pending: () => this.ingestor.pendingCount,
          batchSize: deps.ingest.batchSize,
          resumeBelow: Math.max(1, Math.floor(deps.ingest.maxBufferedEvents / 2)),
          onLost: (events) => metrics.eventsLost.inc(events),
        })
      : null;
  }

  addSource(source: EventSource): void {
    this.sources.push(source);
  }

  addConnection(connection: AriConnection, source: EventSource): void {
    this.connections.push(connection);
    this.addSource(source);
  }

  get sourceList(): readonly EventSource[] {
    return this.sources;
  }

  /** Rebuilds open calls of earlier runs from their stored events, then starts ingesting. */
  async start(): Promise<void> {
    const open = await this.deps.store.openCalls();
    for (const call of open) {
      const events = await this.deps.store.getEvents(call.id);
      this.pipeline.hydrate(
        call.server,
        events.map((e) => ({ event: e.event, receivedAt: e.receivedAt })),
        call,
      );
    }
    if (open.length > 0) this.log.info({ calls: open.length }, 'open calls of the previous run restored; resync will settle them');
    this.ingestor.start();
    await this.takeInSpool();
    // What an earlier run spilled and did not store is read back first; new events queue behind it.
    this.spill?.open(await this.deps.store.lastIngestMark(SPILL_MARK_RUN));
    // Before any source starts: the calls open now are those of the previous run (restored or spooled).
    this.sweep?.start();
    for (const s of this.sources) s.start();
  }

  /**
   * Stops the sources, then commits what is pending. What the database does not take within the stop
   * deadline goes to the spool (taken in at the next start); without a spool, or when it cannot be written,
   * it is lost: counted and logged as an error.
   */
  async stop(): Promise<void> {
    await this.sweep?.stop();
    await Promise.all(this.sources.map((s) => s.stop().catch(() => undefined)));
    // The spill log keeps what it holds for the next start; reading it back stops here.
    const spillStopped = this.spill?.stop();
    const unwritten = await this.ingestor.stop(this.deps.stopDeadlineMs);
    await spillStopped;
    // The last commits may have consumed segments: they are gone from the disk when the engine has stopped.
    await this.spill?.settled();
    const events = unwritten.batches.reduce((n, b) => n + b.events.length, 0);
    if (events === 0) return;
    const { spool } = this.deps;
    if (spool) {
      try {
        const file = await spool.write(unwritten);
        this.log.warn({ events, file }, 'the database did not take every event before the stop deadline: the rest is spooled for the next start');
        return;
      } catch (error) {
        this.lose(events, `the spool could not be written: ${(error as Error).message}`);
        return;
      }
    }
    this.lose(events, 'the database did not take them before the stop deadline and no spool is configured');
  }

  private lose(events: number, reason: string): void {
    this.deps.metrics.eventsLost.inc(events);
    this.log.error({ events, reason }, 'events lost');
  }

  /** Events an earlier run spooled at its stop: batches the database holds after all are skipped. */
  private async takeInSpool(): Promise<void> {
    const { spool } = this.deps;
    if (!spool) return;
    for (const file of await spool.files()) {
      const stored = await this.deps.store.lastIngestMark(file.run);
      let taken = 0;
      let skipped = 0;
      let unreadable = 0;
      for await (const e of spool.events(file, () => unreadable++)) {
        if (e.batch <= stored) {
          skipped++;
          continue;
        }
        const result = this.ingestor.acceptText(e.raw, new Date(e.receivedAt), e.server);
        this.count(result.ok ? result.type : null);
        taken++;
        if (this.ingestor.pendingCount >= SPOOL_FLUSH_EVENTS) await this.ingestor.flush();
      }
      await this.ingestor.flush();
      await this.deps.store.dropIngestMark(file.run);
      await spool.remove(file);
      if (unreadable > 0) this.lose(unreadable, `${unreadable} lines of spool file ${file.path} could not be read`);
      this.log.info({ file: file.path, taken, alreadyStored: skipped }, 'events spooled at the last stop taken in');
    }
  }

  /**
   * One event frame from a source as received (its UTF-8 JSON text, stored as is): decoded only when it is
   * ingested now, not when it goes to the spill log.
   */
  acceptBytes(bytes: Buffer, receivedAt: Date, server: string): IngestOk | IngestFailed {
    if (this.spill?.isActive) return this.spilled(bytes, receivedAt, server);
    return this.acceptRaw(bytes.toString('utf8'), receivedAt, server, bytes);
  }

  /** One raw event from a source (`bytes`: the same text as received, kept as the stored event): counted, ingested, never thrown. */
  acceptRaw(text: string, receivedAt: Date, server: string, bytes?: Uint8Array): IngestOk | IngestFailed {
    if (this.spill?.isActive) return this.spilled(bytes ?? text, receivedAt, server);
    const result = this.ingestor.acceptText(text, receivedAt, server, bytes);
    this.count(result.ok ? result.type : null);
    if (!result.ok) this.log.warn({ server, code: result.error.code, reason: result.error.message }, 'ARI event rejected');
    return result;
  }

  /**
   * An event kept in the spill log, to be ingested when its turn comes. What a source needs to know at once
   * (that a channel entered Stasis, so it can be subscribed to) is read from it here.
   */
  private spilled(raw: Uint8Array | string, receivedAt: Date, server: string): IngestOk | IngestFailed {
    if (!this.spill!.event(server, receivedAt, raw)) {
      return { ok: false, error: new AppError(ERROR_CODES.STORE_UNAVAILABLE, 'event lost: the spill log is full', { retryable: false }) };
    }
    return { ok: true, type: 'spilled', callId: null, call: null, channelId: null, ...stasisStartOf(raw) };
  }

  /** One record read back from the spill log, ingested under its number. */
  private takeSpilled(record: SpilledRecord, seq: number): Promise<void> | undefined {
    if (record.kind === 'event') {
      const result = this.ingestor.acceptText(record.raw.toString('utf8'), new Date(record.receivedAtMs), record.server, record.raw, seq);
      this.count(result.ok ? result.type : null);
      return undefined;
    }
    return this.reconcile(record.server, record.view, seq, new Date(record.takenAtMs)).then(() => undefined);
  }

  /** The engine created `channelId` over ARI on behalf of `originatorId`: the two are one call. */
  noteOriginator(server: string, channelId: string, originatorId: string): void {
    this.pipeline.registry(server).noteOriginator(channelId, originatorId);
  }

  private count(type: string | null): void {
    if (this.pipeline.clips.total !== 0) this.reportClips();
    if (type === null) {
      this.deps.metrics.eventsInvalid.inc();
      return;
    }
    this.eventRate.mark();
    const uncounted = this.deps.metrics.uncountedEvents;
    const label = countedEventType(type);
    uncounted.set(label, (uncounted.get(label) ?? 0) + 1);
  }

  /** Clipped fields go to their counter at once, and into a warning at most every CLIP_WARNING_MS. */
  private reportClips(): void {
    for (const [field, n] of this.pipeline.clips.take()) {
      this.deps.metrics.fieldsClipped.inc({ field }, n);
      this.clipsUnwarned.set(field, (this.clipsUnwarned.get(field) ?? 0) + n);
    }
    const now = performance.now();
    if (now - this.lastClipWarningMs < CLIP_WARNING_MS) return;
    this.lastClipWarningMs = now;
    this.log.warn({ clipped: Object.fromEntries(this.clipsUnwarned) }, 'event fields over their limits were clipped or dropped (see docs/limits.md)');
    this.clipsUnwarned.clear();
  }

  /**
   * Events posted to the API: same pipeline; resolves once they are durable, with the ids the calls they
   * touched have then (a call merged into another meanwhile is listed under the surviving id).
   */
  async inject(events: readonly unknown[], server: string): Promise<InjectResult> {
    const rejected: InjectResult['rejected'] = [];
    const calls = new Set<CallHandle>();
    const now = new Date();
    events.forEach((event, index) => {
      const result = this.ingestor.acceptObject(event, now, server);
      this.count(result.ok ? result.type : null);
      if (result.ok) {
        if (result.call) calls.add(result.call);
      } else {
        rejected.push({ index, code: result.error.code, message: result.error.message });
      }
    });
    await this.ingestor.flush();
    const callIds = new Set<string>();
    for (const call of calls) callIds.add(this.pipeline.currentCallId(call));
    return { accepted: events.length - rejected.length, rejected, callIds: [...callIds] };
  }

  /** True when `server` names a live source (a configured ARI server or the simulator). */
  isLiveSource(server: string): boolean {
    return this.sources.some((s) => s.name === server);
  }

  /** Reconciles one server's open calls with the channels and bridges Asterisk reports alive. */
  async resync(server: string, list: () => Promise<{ channels: AriChannel[]; bridges: AriBridge[] }>): Promise<{ gone: number; found: number }> {
    const view = await list();
    // While events are spilled the calls lag behind the stream: the view waits its turn in the log.
    if (this.spill?.isActive) {
      this.spill.resync(server, view);
      this.log.info({ server, alive: view.channels.length }, 'resync queued behind the spilled events');
      return { gone: 0, found: 0 };
    }
    const result = await this.reconcile(server, view);
    await this.ingestor.flush();
    return result;
  }

  /** Compares the calls held for `server` with what it reports alive, and ingests what differs. */
  private async reconcile(
    server: string,
    view: { channels: AriChannel[]; bridges: AriBridge[] },
    spillSeq?: number,
    takenAt: Date = new Date(),
  ): Promise<{ gone: number; found: number }> {
    const registry = this.pipeline.registry(server);
    const openBefore = openChannelIds(registry);
    const restored = await restoreCallsOfLiveChannels(this.deps.store, server, registry, view, (events, stored) => this.pipeline.hydrate(server, events, stored));
    // A spilled resync is reconciled later than it was taken: its estimates are bounded by when it was taken.
    const events = resyncEvents(registry, openBefore, view, takenAt, this.pipeline.lastHeardFrom(server));
    this.acceptEngineEvents(server, events, spillSeq);
    const gone = events.filter((e) => e.type === 'CallflowChannelGone').length;
    const found = events.length - gone;
    this.log.info({ server, alive: view.channels.length, gone, found, restored }, 'resync done');
    return { gone, found };
  }

  /** Events the engine made itself (resync, stale-call sweep): ingested and counted like a source's. */
  private acceptEngineEvents(server: string, events: readonly Record<string, unknown>[], spillSeq?: number): void {
    const receivedAt = new Date();
    for (const e of events) {
      const result = this.ingestor.acceptObject(e, receivedAt, server, spillSeq);
      this.count(result.ok ? result.type : null);
    }
  }

  /**
   * Events made from Asterisk's CEL for a window the engine could not see (src/app/cel-backfill.ts): ingested
   * and counted like a source's; durable when this resolves.
   */
  async ingestBackfill(server: string, events: readonly Record<string, unknown>[]): Promise<void> {
    this.acceptEngineEvents(server, events);
    await this.ingestor.flush();
  }

  /** Rebuilds a call from its stored events and compares it with the stored record. */
  async rebuild(callId: string): Promise<{ record: CallRecord; stored: CallRecord; identical: boolean }> {
    const stored = await this.deps.store.getCall(callId);
    if (!stored) throw new AppError(ERROR_CODES.NOT_FOUND, `call ${callId} not found`);
    const events = await this.deps.store.getEvents(callId);
    const record = rebuildFromEvents(events, stored.server, this.deps.policy, callId, this.deps.tenantOf);
    return { record, stored, identical: JSON.stringify(record) === JSON.stringify(stored) };
  }

  activeCalls(): CallRecord[] {
    return this.pipeline.openCalls();
  }
}
