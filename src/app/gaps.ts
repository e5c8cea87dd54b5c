import type { Logger } from 'pino';
import type { AriConnectionState } from '../ari/client.ts';
import type { IngestGap, Store } from '../store/types.ts';

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

  constructor(private readonly deps: GapDeps) {}

  /** A connection's state changed. */
  onState(server: string, state: AriConnectionState): void {
    const now = this.now();
    if (state === 'connected') {
      const since = this.downSince.get(server);
      this.downSince.delete(server);
      if (!this.seen.has(server)) {
        this.seen.add(server);
        void this.sinceLastRun(server, now);
      } else if (since !== undefined) {
        this.record({ server, from: since.toISOString(), to: now.toISOString(), reason: 'disconnected' });
      }
      return;
    }
    // Events stop flowing the moment the socket leaves 'connected'; a socket that never connected has no gap yet.
    if (this.seen.has(server) && !this.downSince.has(server) && state !== 'stopped') this.downSince.set(server, now);
  }

  private async sinceLastRun(server: string, now: Date): Promise<void> {
    try {
      const last = await this.deps.store.lastRunActivityAt(this.deps.runId);
      if (last !== null && last < now.toISOString()) this.record({ server, from: last, to: now.toISOString(), reason: 'engine_down' });
    } catch (error) {
      this.deps.logger.warn({ err: (error as Error).message, server }, 'could not read when the previous run stopped; its gap is not recorded');
    }
  }

  private record(gap: IngestGap): void {
    this.deps.onGap?.(gap);
    this.deps.logger.warn(gap, 'events of this server could not be seen in this window; Asterisk keeps no events for an absent reader');
    this.deps.store.recordGap(gap).catch((error: unknown) => {
      this.deps.logger.error({ err: (error as Error).message, gap }, 'a gap could not be recorded');
    });
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }
}
