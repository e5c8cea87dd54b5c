import type { Logger } from 'pino';
import type { AriConnectionState } from '../ari/client.ts';
import type { IngestGap, Store } from '../store/types.ts';

/** A gap as recorded, with its id (null: it could not be recorded). */
export type RecordedGap = IngestGap & { id: number | null };

// Every time the engine could not see a server's events is recorded (table ingest_gaps, GET /api/gaps,
// callflow_ari_gaps_total): from when its events socket went down to when it was back, and, at the first
// connection of a run, from when the previous run last stored anything to now. Asterisk keeps nothing for an
// absent reader; what happened in these windows is known only from its own records (CEL).

export interface GapDeps {
  store: Store;
  logger: Logger;
  runId: string;
  onGap?: (gap: IngestGap) => void;
  now?: () => Date;
}

export class GapRecorder {
  private readonly downSince = new Map<string, Date>();
  private readonly seen = new Set<string>();
  /** The gap the latest connection of each server closed, until taken by closedGap(). */
  private readonly closing = new Map<string, Promise<RecordedGap | null>>();

  constructor(private readonly deps: GapDeps) {}

  /** A connection's state changed. */
  onState(server: string, state: AriConnectionState): void {
    const now = this.now();
    if (state === 'connected') {
      const since = this.downSince.get(server);
      this.downSince.delete(server);
      if (!this.seen.has(server)) {
        this.seen.add(server);
        this.closing.set(server, this.sinceLastRun(server, now));
      } else if (since !== undefined) {
        this.closing.set(server, this.record({ server, from: since.toISOString(), to: now.toISOString(), reason: 'disconnected' }));
      } else {
        this.closing.delete(server);
      }
      return;
    }
    // Events stop flowing the moment the socket leaves 'connected'; a socket that never connected has no gap yet.
    if (this.seen.has(server) && !this.downSince.has(server) && state !== 'stopped') this.downSince.set(server, now);
  }

  /**
   * The gap the server's latest connection closed, once recorded (null: none), taken once: the connection's
   * resync handler backfills it from CEL before reconciling (src/app/cel-backfill.ts).
   */
  closedGap(server: string): Promise<RecordedGap | null> {
    const gap = this.closing.get(server);
    this.closing.delete(server);
    return gap ?? Promise.resolve(null);
  }

  private async sinceLastRun(server: string, now: Date): Promise<RecordedGap | null> {
    try {
      const last = await this.deps.store.lastRunActivityAt(this.deps.runId);
      if (last !== null && last < now.toISOString()) return await this.record({ server, from: last, to: now.toISOString(), reason: 'engine_down' });
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message, server }, 'could not read when the previous run stopped; its gap is not recorded');
    }
    return null;
  }

  private async record(gap: IngestGap): Promise<RecordedGap> {
    this.deps.onGap?.(gap);
    this.deps.logger.warn(gap, 'events of this server could not be seen in this window; Asterisk keeps no events for an absent reader');
    try {
      return { ...gap, id: await this.deps.store.recordGap(gap) };
    } catch (error) {
      this.deps.logger.error({ err: (error as Error).message, gap }, 'a gap could not be recorded');
      return { ...gap, id: null };
    }
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }
}
