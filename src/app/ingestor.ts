import type { Logger } from 'pino';
import type { Store } from '../store/types.ts';
import type { DrainedBatch, IngestFailed, IngestOk, Pipeline } from './pipeline.ts';

// Drives the pipeline in time: commits what was ingested in batches (one transaction each, in order),
// retries a failed batch until the database takes it, and pushes back on the event sources when the
// buffer is full instead of growing memory or dropping events.
//
// Group commit: an event arriving while no batch is being written starts one on the next turn of the
// event loop (so a burst read in one go shares a transaction); events arriving during a write form the
// next batch, written as soon as that write ends. Under load batches grow by themselves, when idle an
// event waits for one transaction only. Sources are resumed as soon as a batch has been taken for
// writing, so the next batch is ingested while the database writes this one: at most the batch being
// written plus `maxBufferedEvents` waiting ones are held in memory.

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
  private flushScheduled = false;
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

  acceptText(text: string, receivedAt: Date, server: string, bytes?: Uint8Array): IngestOk | IngestFailed {
    return this.after(this.o.pipeline.ingestText(text, receivedAt, server, bytes));
  }

  acceptObject(event: unknown, receivedAt: Date, server: string): IngestOk | IngestFailed {
    return this.after(this.o.pipeline.ingestObject(event, receivedAt, server));
  }

  private after<T extends IngestOk | IngestFailed>(result: T): T {
    const pending = this.o.pipeline.pendingCount;
    if (!this.flushing) {
      if (pending >= this.o.batchSize) void this.flush();
      else this.scheduleFlush();
    }
    if (!this.paused && pending >= this.o.maxBufferedEvents) {
      this.paused = true;
      this.o.logger.warn({ pending }, 'ingest buffer full: pausing event sources until the database catches up');
      this.o.onBackpressure?.(true);
    }
    return result;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.flushing) void this.flush();
    });
  }

  /** Commits everything ingested so far; resolves when it is durable. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.o.pipeline.hasChanges) return;
    this.flushing = this.flushWhileChanged().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Writes batch after batch while events keep arriving during the writes. */
  private async flushWhileChanged(): Promise<void> {
    do await this.flushOnce();
    while (this.o.pipeline.hasChanges);
  }

  private async flushOnce(): Promise<void> {
    const drained = this.o.pipeline.drain(this.now());
    // What was taken is no longer waiting: let the sources fill the next batch during this write.
    this.resumeIfDrained();
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
    this.resumeIfDrained();
  }

  private resumeIfDrained(): void {
    if (this.paused && this.o.pipeline.pendingCount < this.o.maxBufferedEvents / 2) {
      this.paused = false;
      this.o.logger.info('ingest buffer drained: resuming event sources');
      this.o.onBackpressure?.(false);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
