import type { Logger } from 'pino';
import type { AriConnection } from '../ari/client.ts';
import type { CallRecord } from '../domain/call.ts';
import { observeCalls, sweepVerdict, type CallActivity, type ServerReach, type SweepLimits, type SweepReason } from '../domain/staleness.ts';
import { channelGoneEvent } from './resync.ts';

// The stale-call sweep's runtime: a timer, the questions to Asterisk, and the closing events. What is stale
// is decided by src/domain/staleness.ts. A call is closed like a resync closes one: an engine-made
// CallflowChannelGone (with the sweep's `reason`) per open leg, through the pipeline and the store, so the
// live stream and the outbox see an ordinary finish and a rebuild from the stored events gives the same record.
// Each leg's end is stamped with the time of the call's last event: the latest moment the call is known to
// have been going on, hence the record's `endEstimated`.

export interface SweepOptions extends SweepLimits {
  sweepIntervalMs: number;
  /** The engine's clock (tests inject one); the sweep reads nothing else for its decisions. */
  now?: () => number;
}

/** One event source as the sweep sees it. */
export interface SweepSource {
  readonly server: string;
  /** `ari`: an Asterisk, asked about channels while connected; `simulator`: nobody to ask. */
  readonly kind: 'ari' | 'simulator';
  connected(): boolean;
  /** Whether Asterisk still has the channel; rejects when Asterisk cannot be asked. */
  channelExists?(channelId: string): Promise<boolean>;
}

/** Each Asterisk connection (asked while its socket is up) and the simulator, as the sweep sees them. */
export function sweepSourcesOf(connections: readonly AriConnection[], sources: readonly { name: string; kind: string }[]): SweepSource[] {
  const out: SweepSource[] = connections.map((c) => ({
    server: c.serverName,
    kind: 'ari',
    connected: () => c.state === 'connected',
    channelExists: async (id) => (await c.rest.getChannel(id)) !== null,
  }));
  for (const s of sources) if (s.kind === 'simulator') out.push({ server: s.name, kind: 'simulator', connected: () => true });
  return out;
}

export interface StaleSweepDeps {
  options: SweepOptions;
  logger: Logger;
  /** The open calls the engine holds. */
  openCalls(): readonly CallRecord[];
  sources(): readonly SweepSource[];
  /**
   * Ingests engine-made events, per server, and resolves once they are durable. Every event is accepted
   * before the first await, so calls checked just before cannot change in between.
   */
  ingest(batches: readonly { server: string; events: Record<string, unknown>[] }[]): Promise<void>;
  onSwept(reason: SweepReason): void;
}

export interface SweptCall {
  callId: string;
  server: string;
  reason: SweepReason;
}

export interface SweepResult {
  /** Calls Asterisk was asked about. */
  asked: number;
  /** Calls kept because Asterisk still has one of their channels. */
  alive: number;
  closed: SweptCall[];
}

type Answer = 'alive' | 'gone' | 'unknown';

const UNCONFIGURED: ServerReach = { kind: 'unconfigured' };

export class StaleSweep {
  private known = new Map<string, CallActivity>();
  /** When the sweep first found each ARI server's socket down (cleared when it is up again). */
  private readonly downSince = new Map<string, number>();
  private startedAtMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = true;
  private readonly now: () => number;

  constructor(private readonly deps: StaleSweepDeps) {
    this.now = deps.options.now ?? Date.now;
  }

  /**
   * Starts the timer. The calls open now (restored from the store) count as having had no news in this run,
   * and a server not connected now as down since now.
   */
  start(): void {
    this.stopped = false;
    this.startedAtMs = this.now();
    this.known = new Map(this.deps.openCalls().map((c) => [c.id, { eventCount: c.eventCount, activeAtMs: null }]));
    for (const s of this.deps.sources()) if (s.kind === 'ari' && !s.connected()) this.downSince.set(s.server, this.startedAtMs);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.chain.catch(() => undefined);
  }

  /** One sweep, after any running one. */
  runOnce(): Promise<SweepResult> {
    const run = this.chain.catch(() => undefined).then(() => this.sweep());
    this.chain = run;
    return run;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runOnce()
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'stale-call sweep failed; trying again at the next interval'))
        .finally(() => this.schedule());
    }, this.deps.options.sweepIntervalMs);
    this.timer.unref();
  }

  private async sweep(): Promise<SweepResult> {
    const nowMs = this.now();
    const calls = this.deps.openCalls();
    this.known = observeCalls(this.known, calls, nowMs);
    const reach = this.reachOf(nowMs);
    const closing: { call: CallRecord; reason: SweepReason }[] = [];
    const toAsk: CallRecord[] = [];
    for (const call of calls) {
      const verdict = sweepVerdict(this.known.get(call.id)!, reach.get(call.server) ?? UNCONFIGURED, nowMs, this.startedAtMs, this.deps.options);
      if (verdict.action === 'ask') toAsk.push(call);
      else if (verdict.action === 'close') closing.push({ call, reason: verdict.reason });
    }
    const result: SweepResult = { asked: 0, alive: 0, closed: [] };
    const unanswered = new Set<string>();
    const sources = new Map(this.deps.sources().map((s) => [s.server, s]));
    for (const call of toAsk) {
      // Questions can take a while (each may wait for a slow Asterisk): stopping does not wait for the rest.
      if (this.stopped) return result;
      // A server that failed to answer once in this sweep is not asked again until the next one.
      if (unanswered.has(call.server)) continue;
      result.asked++;
      const answer = await this.ask(sources.get(call.server), call);
      if (answer === 'alive') {
        result.alive++;
        this.known.set(call.id, { eventCount: call.eventCount, activeAtMs: nowMs });
      } else if (answer === 'gone') {
        closing.push({ call, reason: 'stale' });
      } else {
        unanswered.add(call.server);
      }
    }
    if (closing.length > 0) await this.close(closing, result);
    return result;
  }

  private reachOf(nowMs: number): Map<string, ServerReach> {
    const reach = new Map<string, ServerReach>();
    for (const s of this.deps.sources()) {
      if (s.kind === 'simulator') {
        reach.set(s.server, { kind: 'unaskable' });
      } else if (s.connected()) {
        this.downSince.delete(s.server);
        reach.set(s.server, { kind: 'connected' });
      } else {
        const sinceMs = this.downSince.get(s.server) ?? nowMs;
        this.downSince.set(s.server, sinceMs);
        reach.set(s.server, { kind: 'disconnected', sinceMs });
      }
    }
    return reach;
  }

  /** Alive if Asterisk has any of the call's open channels; unknown if it could not answer for one. */
  private async ask(source: SweepSource | undefined, call: CallRecord): Promise<Answer> {
    if (!source?.channelExists || !source.connected()) return 'unknown';
    for (const leg of call.legs) {
      if (leg.endedAt !== null) continue;
      try {
        if (await source.channelExists(leg.channelId)) return 'alive';
      } catch (error) {
        this.deps.logger.warn({ server: call.server, err: (error as Error).message }, 'stale-call sweep could not ask Asterisk about a channel; keeping its calls');
        return 'unknown';
      }
    }
    return 'gone';
  }

  private async close(closing: readonly { call: CallRecord; reason: SweepReason }[], result: SweepResult): Promise<void> {
    // Asking took time: a call that had news meanwhile (its event count moved) or ended is left alone.
    const current = new Map(this.deps.openCalls().map((c) => [c.id, c]));
    const byServer = new Map<string, Record<string, unknown>[]>();
    for (const { call, reason } of closing) {
      const now = current.get(call.id);
      if (now === undefined || now.eventCount !== call.eventCount) continue;
      const events = now.legs.filter((leg) => leg.endedAt === null).map((leg) => channelGoneEvent(leg, now.updatedAt, reason));
      if (events.length === 0) continue; // a call without channels: nothing to end
      const list = byServer.get(now.server) ?? [];
      list.push(...events);
      byServer.set(now.server, list);
      result.closed.push({ callId: now.id, server: now.server, reason });
    }
    if (byServer.size === 0) return;
    await this.deps.ingest([...byServer].map(([server, events]) => ({ server, events })));
    for (const swept of result.closed) {
      this.deps.onSwept(swept.reason);
      this.deps.logger.info(swept, 'stale-call sweep closed a call');
    }
  }
}
