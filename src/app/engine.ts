import type { Logger } from 'pino';
import type { AriConnection } from '../ari/client.ts';
import type { AriBridge, AriChannel } from '../ari/types.ts';
import type { CallRecord } from '../domain/call.ts';
import type { DirectionPolicy } from '../domain/direction.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import { eventCount, forEachArrival } from '../store/batch-events.ts';
import type { Store } from '../store/types.ts';
import { Ingestor } from './ingestor.ts';
import { LiveHub, type LiveHubLimits } from './live-hub.ts';
import type { EngineMetrics } from './metrics.ts';
import { Pipeline, type CallChange, type IngestFailed, type IngestOk } from './pipeline.ts';
import { RateMeter } from './rate-meter.ts';
import { rebuildFromEvents } from './rebuild.ts';
import { openChannelIds, resyncEvents } from './resync.ts';
import type { OutboxInsert } from '../store/types.ts';

// The runtime: event sources in, durable call records and live messages out. Built by the
// composition root (compose.ts) from plain objects; holds no globals.

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
  ingest: { batchSize: number; flushIntervalMs: number; maxBufferedEvents: number };
  planOutbox?: (change: CallChange) => OutboxInsert[];
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
  readonly hub: LiveHub;
  readonly eventRate = new RateMeter(10_000);
  private readonly sources: EventSource[] = [];
  readonly connections: AriConnection[] = [];
  private readonly log: Logger;

  constructor(private readonly deps: EngineDeps) {
    this.log = deps.logger;
    this.pipeline = new Pipeline({ policy: deps.policy, planOutbox: deps.planOutbox, encodeEvents: deps.store.encodeEvents });
    this.hub = new LiveHub({ ...deps.live, openCalls: () => this.pipeline.openCalls() });
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
        this.hub.publish(drained.live);
      },
      onBackpressure: (paused) => {
        metrics.ingestPaused.set(paused ? 1 : 0);
        for (const s of this.sources) {
          if (paused) s.pause();
          else s.resume();
        }
      },
    });
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
      );
    }
    if (open.length > 0) this.log.info({ calls: open.length }, 'open calls of the previous run restored; resync will settle them');
    this.ingestor.start();
    for (const s of this.sources) s.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.stop().catch(() => undefined)));
    await this.ingestor.stop();
  }

  /** One raw event from a source (`bytes`: the same text as received, kept as the stored event): counted, ingested, never thrown. */
  acceptRaw(text: string, receivedAt: Date, server: string, bytes?: Uint8Array): IngestOk | IngestFailed {
    const result = this.ingestor.acceptText(text, receivedAt, server, bytes);
    this.count(result.ok ? result.type : null);
    if (!result.ok) this.log.warn({ server, code: result.error.code, reason: result.error.message }, 'ARI event rejected');
    return result;
  }

  /** The engine created `channelId` over ARI on behalf of `originatorId`: the two are one call. */
  noteOriginator(server: string, channelId: string, originatorId: string): void {
    this.pipeline.registry(server).noteOriginator(channelId, originatorId);
  }

  private count(type: string | null): void {
    if (type === null) {
      this.deps.metrics.eventsInvalid.inc();
      return;
    }
    this.eventRate.mark();
    const uncounted = this.deps.metrics.uncountedEvents;
    uncounted.set(type, (uncounted.get(type) ?? 0) + 1);
  }

  /** Events posted to the API: same pipeline; resolves once they are durable. */
  async inject(events: readonly unknown[], server: string): Promise<InjectResult> {
    const rejected: InjectResult['rejected'] = [];
    const callIds = new Set<string>();
    const now = new Date();
    events.forEach((event, index) => {
      const result = this.ingestor.acceptObject(event, now, server);
      this.count(result.ok ? result.type : null);
      if (result.ok) {
        if (result.callId) callIds.add(result.callId);
      } else {
        rejected.push({ index, code: result.error.code, message: result.error.message });
      }
    });
    await this.ingestor.flush();
    return { accepted: events.length - rejected.length, rejected, callIds: [...callIds] };
  }

  /** Reconciles one server's open calls with the channels and bridges Asterisk reports alive. */
  async resync(server: string, list: () => Promise<{ channels: AriChannel[]; bridges: AriBridge[] }>): Promise<{ gone: number; found: number }> {
    const registry = this.pipeline.registry(server);
    const openBefore = openChannelIds(registry);
    const view = await list();
    const events = resyncEvents(registry, openBefore, view, new Date());
    let gone = 0;
    for (const e of events) {
      if (e.type === 'CallflowChannelGone') gone++;
      const result = this.ingestor.acceptObject(e, new Date(), server);
      this.count(result.ok ? result.type : null);
    }
    await this.ingestor.flush();
    const found = events.length - gone;
    this.log.info({ server, alive: view.channels.length, gone, found }, 'resync done');
    return { gone, found };
  }

  /** Rebuilds a call from its stored events and compares it with the stored record. */
  async rebuild(callId: string): Promise<{ record: CallRecord; stored: CallRecord; identical: boolean }> {
    const stored = await this.deps.store.getCall(callId);
    if (!stored) throw new AppError(ERROR_CODES.NOT_FOUND, `call ${callId} not found`);
    const events = await this.deps.store.getEvents(callId);
    const record = rebuildFromEvents(events, stored.server, this.deps.policy, callId);
    return { record, stored, identical: JSON.stringify(record) === JSON.stringify(stored) };
  }

  activeCalls(): CallRecord[] {
    return this.pipeline.openCalls();
  }
}
