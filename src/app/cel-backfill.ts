import type { Logger } from 'pino';
import { planBackfill, type KnownLeg } from '../cel/backfill-events.ts';
import type { CelSource } from '../cel/cel-source.ts';
import type { CallRecord } from '../domain/call.ts';
import { resolve, type CallRegistry } from '../domain/grouping.ts';
import type { GapBackfill, Store, StoredEvent } from '../store/types.ts';
import type { RecordedGap } from './gaps.ts';

// Backfill of an ingest gap from the server's CEL: run by the connection that closed the gap, before its
// resync, so that calls that ended in the gap end with Asterisk's own hangup rather than the resync's
// estimate. The CEL rows of the window (plus a margin) become channel events (src/cel/backfill-events.ts) for
// channels the engine never saw and for open or estimated ends of channels it knew; they are ingested
// like a source's events and stored marked `callflow_source: "cel"`, so rebuild reproduces them and the outbox plans
// each call's deliveries once. Running it again for the same window finds those channels ended and adds nothing.

export interface CelServerSource {
  source: CelSource;
  marginMs: number;
  maxRows: number;
}

export interface CelBackfillDeps {
  store: Pick<Store, 'callIdsOfChannels' | 'getCall' | 'getEvents' | 'markGapBackfilled' | 'listGaps'>;
  logger: Logger;
  sources: ReadonlyMap<string, CelServerSource>;
  registry(server: string): CallRegistry;
  /** Brings a stored call back into memory from its events (its correction then lands on the whole call). */
  hydrate(server: string, events: readonly StoredEvent[], stored: CallRecord): void;
  /** Commits what is pending, so the store knows every channel seen so far. */
  flush(): Promise<void>;
  /** Ingests the events and resolves once they are stored. */
  ingest(server: string, events: readonly Record<string, unknown>[]): Promise<void>;
  onResult?(server: string, result: GapBackfill): void;
  onInvalidRows?(server: string, rows: number): void;
  onFailed?(server: string): void;
}

/** Invalid rows named one by one in the log per backfill; the rest are only counted. */
const INVALID_ROWS_LOGGED = 5;
/** Channel ids looked up in the store per query. */
const LOOKUP_CHUNK = 1_000;
/** Earlier gaps left without backfill (the source could not be read, the engine stopped meanwhile) are retried this long. */
const RETRY_GAPS_MS = 7 * 24 * 3_600_000;
/** Recent gaps looked at for a retry, per connection. */
const RETRY_GAPS_LISTED = 50;

export class CelBackfill {
  constructor(private readonly deps: CelBackfillDeps) {}

  hasSource(server: string): boolean {
    return this.deps.sources.has(server);
  }

  /**
   * Backfills the gap a connection closed (null: none), after the server's earlier gaps of the last 7 days
   * that have no backfill yet, oldest first. Never throws.
   */
  async backfillClosed(server: string, closed: RecordedGap | null, nowMs = Date.now()): Promise<void> {
    if (!this.deps.sources.has(server)) return;
    let pending: RecordedGap[] = [];
    try {
      const listed = await this.deps.store.listGaps(server, null, RETRY_GAPS_LISTED);
      pending = listed.filter((g) => g.backfilledAt === null && g.id !== closed?.id && Date.parse(g.to) >= nowMs - RETRY_GAPS_MS).reverse();
    } catch (error) {
      this.deps.logger.warn({ server, err: (error as Error).message }, 'could not list earlier gaps to retry their backfill');
    }
    for (const gap of pending) await this.backfill(gap);
    if (closed) await this.backfill(closed);
  }

  /** Backfills one gap; never throws (a failure is logged and counted, the gap stays without backfill). */
  async backfill(gap: RecordedGap): Promise<GapBackfill | null> {
    const configured = this.deps.sources.get(gap.server);
    if (!configured) return null;
    const log = this.deps.logger.child({ server: gap.server, gap: { from: gap.from, to: gap.to, reason: gap.reason }, cel: configured.source.description });
    try {
      let logged = 0;
      const read = await configured.source.read(
        { fromMs: Date.parse(gap.from) - configured.marginMs, toMs: Date.parse(gap.to) + configured.marginMs, maxRows: configured.maxRows },
        (where, message) => {
          if (logged++ < INVALID_ROWS_LOGGED) log.warn({ where, reason: message }, 'a CEL row was refused; the others are used');
        },
      );
      if (read.invalid > 0) this.deps.onInvalidRows?.(gap.server, read.invalid);
      if (read.truncated) log.warn({ maxRows: configured.maxRows }, 'the gap holds more CEL rows than cel.maxRows: only the first are backfilled');
      await this.deps.flush();
      const ids = [...new Set(read.rows.map((r) => r.uniqueId))];
      const known = await this.knownLegs(gap.server, ids);
      const plan = planBackfill(read.rows, known.legs, { newChannelsUntilMs: Date.parse(gap.to) });
      for (const call of known.toHydrate) this.deps.hydrate(gap.server, await this.deps.store.getEvents(call.id), call);
      await this.deps.ingest(gap.server, plan.events);
      const result: GapBackfill = {
        rows: read.rows.length,
        invalid: read.invalid,
        newChannels: plan.newChannels,
        correctedChannels: plan.correctedChannels,
        calls: plan.linkedIds.length,
      };
      if (gap.id !== null) await this.deps.store.markGapBackfilled(gap.id, result);
      this.deps.onResult?.(gap.server, result);
      log.info(result, 'gap backfilled from CEL');
      return result;
    } catch (error) {
      this.deps.onFailed?.(gap.server);
      log.error({ err: (error as Error).message, code: (error as { code?: string }).code }, 'the gap could not be backfilled from CEL');
      return null;
    }
  }

  /**
   * What the engine holds of these channels: from the calls in memory, else from the stored calls. Stored
   * calls with a channel whose end CEL may supply are listed to be brought back into memory first.
   */
  private async knownLegs(server: string, ids: readonly string[]): Promise<{ legs: Map<string, KnownLeg>; toHydrate: CallRecord[] }> {
    const registry = this.deps.registry(server);
    const legs = new Map<string, KnownLeg>();
    const missing: string[] = [];
    for (const id of ids) {
      const handle = registry.callOfChannel(id);
      const leg = handle ? resolve(handle).state.legs.find((l) => l.channelId === id) : undefined;
      if (!leg) {
        missing.push(id);
        continue;
      }
      legs.set(id, {
        name: leg.name,
        state: leg.state,
        callerNumber: leg.callerNumber,
        callerName: leg.callerName,
        connectedNumber: leg.connectedNumber,
        answeredAt: leg.answeredAt,
        endedAt: leg.end?.at ?? null,
        cause: leg.end?.cause ?? null,
      });
    }
    const callIds = new Set<string>();
    const held = new Set<string>();
    for (let i = 0; i < missing.length; i += LOOKUP_CHUNK) {
      const found = await this.deps.store.callIdsOfChannels(server, missing.slice(i, i + LOOKUP_CHUNK));
      for (const [channelId, callId] of found) {
        callIds.add(callId);
        held.add(channelId);
      }
    }
    const toHydrate: CallRecord[] = [];
    for (const callId of callIds) {
      const call = await this.deps.store.getCall(callId);
      if (!call) continue;
      let open = false;
      for (const leg of call.legs) {
        if (!held.has(leg.channelId)) continue;
        legs.set(leg.channelId, leg);
        if (leg.endedAt === null || leg.cause === null) open = true;
      }
      if (open) toHydrate.push(call);
    }
    return { legs, toHydrate };
  }
}
