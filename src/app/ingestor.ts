import type { Logger } from 'pino';
import type { Store } from '../store/types.ts';
import type { DrainedBatch, IngestFailed, IngestOk, Pipeline } from './pipeline.ts';

// Drives the pipeline in time: commits what was ingested in batches (one transaction each, in order),
// retries a failed batch until the database takes it, and pushes back on the event sources when the
// buffer is full instead of growing memory or dropping events.

export interface IngestorOptions {
  pipeline: Pipeline;
  store: Store;
  logger: Logger;
  batchSize: number;
  flushIntervalMs: number;
  maxBufferedEvents: number;
  /** Called after each durable commit (live stream, metrics). Must not throw. */
  onCommitted?: (drained: DrainedBatch, writeMs: number) => void;
  /** Called when reading should stop (true) or may go on (false). */
  onBackpressure?: (paused: boolean) => void;
  /** Finished calls stay in memory this long for late events. */
  finishedGraceMs?: number;
  now?: () => number;
}

export class Ingestor {
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private paused = false;
  private stopped = false;
  private failures = 0;
  lastError: string | null = null;
  lastCommitAt: number | null = null;
  committedEvents = 0;

  constructor(private readonly o: IngestorOptions) {}

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.o.flushIntervalMs);
    this.timer.unref();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get pendingCount(): number {
    return this.o.pipeline.pendingCount;
  }

  acceptText(text: string, receivedAt: Date, server: string): IngestOk | IngestFailed {
    return this.after(this.o.pipeline.ingestText(text, receivedAt, server));
  }

  acceptObject(event: unknown, receivedAt: Date, server: string): IngestOk | IngestFailed {
    return this.after(this.o.pipeline.ingestObject(event, receivedAt, server));
  }

  private after<T extends IngestOk | IngestFailed>(result: T): T {
    const pending = this.o.pipeline.pendingCount;
    if (pending >= this.o.batchSize && !this.flushing) void this.flush();
    if (!this.paused && pending >= this.o.maxBufferedEvents) {
      this.paused = true;
      this.o.logger.warn({ pending }, 'ingest buffer full: pausing event sources until the database catches up');
      this.o.onBackpressure?.(true);
    }
    return result;
  }

  /** Commits everything ingested so far; resolves when it is durable. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.o.pipeline.pendingCount === 0 && !this.hasTouched()) return;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private hasTouched(): boolean {
    return this.o.pipeline.hasChanges;
  }

  private async flushOnce(): Promise<void> {
    const drained = this.o.pipeline.drain(this.now());
    for (;;) {
      const started = performance.now();
      try {
        await this.o.store.writeBatch(drained.batch);
        drained.commit();
        this.failures = 0;
        this.lastError = null;
        this.lastCommitAt = this.now();
        this.committedEvents += drained.batch.events.length;
        this.o.onCommitted?.(drained, performance.now() - started);
        break;
      } catch (error) {
        this.failures++;
        this.lastError = (error as Error).message;
        this.o.logger.error({ err: error, attempt: this.failures, events: drained.batch.events.length }, 'batch commit failed; retrying');
        if (this.stopped && this.failures > 3) throw error;
        const delayMs = Math.min(5_000, 50 * 2 ** Math.min(this.failures, 7)) * (0.5 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
    this.o.pipeline.evictFinished(this.now(), this.o.finishedGraceMs ?? 10_000);
    if (this.paused && this.o.pipeline.pendingCount < this.o.maxBufferedEvents / 2) {
      this.paused = false;
      this.o.logger.info('ingest buffer drained: resuming event sources');
      this.o.onBackpressure?.(false);
    }
    // Keep going while a full batch is waiting.
    if (this.o.pipeline.pendingCount >= this.o.batchSize) await this.flushOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
