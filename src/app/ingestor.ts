import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ERROR_CODES, isAppError } from '../errors.ts';
import { eventCount } from '../store/batch-events.ts';
import type { EventRow, QuarantinedRow, Store } from '../store/types.ts';
import type { DrainedBatch, IngestFailed, IngestOk, Pipeline } from './pipeline.ts';

// Drives the pipeline in time: commits what was ingested in batches (one transaction each, in order),
// retries a failed batch until the database takes it, and pushes back on the event sources when the
// buffer is full instead of growing memory or dropping events.
//
// Group commit: an event arriving while no batch is being written starts one on the next turn of the
// event loop (so a burst read in one go shares a transaction); events arriving during a write form the
// next batch. Under load batches grow by themselves, when idle an event waits for one transaction only.
// Sources are resumed as soon as a batch has been taken for writing, so the next batch is ingested while
// the database writes this one.
//
// The next batch is drained and handed to the store while the current one is still being written, queued
// behind it (afterPrevious), in two cases: once the store has reported half of the current batch's events
// sent (WriteOptions.onBulkHalfway; the rest of them, its calls, legs and commit remain) and `batchSize`
// events are waiting, and when the buffer fills up. The database then starts on the next batch the moment
// the current one commits, instead of waiting for this thread to notice the commit and drain and serialize
// the next (measured: a third of each write cycle under load), and the work after a commit (live stream,
// metrics, eviction) runs while it is written. A batch is still cut once per write cycle; without the idle
// time the cycle is shorter, so batches are smaller. Under light load nothing is handed over early: a few
// events queued behind a small write would wait for two commits instead of one (measured: commit p99 at
// 5,000 events/s 17 → 29 ms).
// A queued batch counts against the buffer, so memory stays bounded by the batch being written plus
// `maxBufferedEvents` waiting ones. Batches are written strictly in drain order: a queued batch runs only
// if the one before it committed, and is handed over again after that one when it did not.

export interface IngestorOptions {
  pipeline: Pipeline;
  store: Store;
  logger: Logger;
  batchSize: number;
  flushIntervalMs: number;
  maxBufferedEvents: number;
  /** Called after each durable commit (live stream, metrics). Must not throw. */
  onCommitted?: (drained: DrainedBatch, writeMs: number) => void;
  /** Rows of a batch the database refused for good went to quarantine; the rest was written. Must not throw. */
  onQuarantined?: (rows: readonly QuarantinedRow[]) => void;
  /** Called when reading should stop (true) or may go on (false). */
  onBackpressure?: (paused: boolean) => void;
  /** Names this run's batches (IngestMark.run); a random id by default. */
  runId?: string;
  /** Finished calls stay in memory this long for late events. */
  finishedGraceMs?: number;
  now?: () => number;
}

/** Runs of a batch's events in order: taken from the spill log (spill-log.ts) or straight from a source. */
export interface Provenance {
  fromSpill: boolean;
  count: number;
}

interface Write {
  drained: DrainedBatch;
  /** Where the batch's events came from, run by run. */
  provenance: Provenance[];
  /** Settles when the store has the batch durably, or rejects (then it is handed over again). */
  done: Promise<void>;
  startedAt: number;
}

const ignore = (): void => undefined;

/** The events of `events` that came straight from a source, by their runs of provenance. */
function direct(events: EventRow[], provenance: readonly Provenance[]): EventRow[] {
  if (provenance.every((run) => !run.fromSpill)) return events;
  const out: EventRow[] = [];
  let at = 0;
  for (const run of provenance) {
    if (!run.fromSpill) out.push(...events.slice(at, at + run.count));
    at += run.count;
  }
  return out;
}

/** Batches a stop could not wait for: not known to be stored, in write order. */
export interface Unwritten {
  run: string;
  batches: { batch: number; events: EventRow[] }[];
}

export class Ingestor {
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private flushScheduled = false;
  /** The next batch, handed to the store behind the one being written. */
  private queued: Write | null = null;
  private paused = false;
  /** Inside write(), between handing a batch to the store and returning it (see there). */
  private handingOver = false;
  /** The batch being written has reported half of its events sent (onBulkHalfway). */
  private pastHalfway = false;
  private stopped = false;
  /** The stop's deadline passed: batches still unwritten went to the spool; nothing more is retried. */
  private abandoned = false;
  /** The batch being written. */
  private current: Write | null = null;
  private batches = 0;
  /** Provenance of the events the pipeline holds since the last drain. */
  private runs: Provenance[] = [];
  /** The last spill log record taken in; a batch carries it in its mark, and is its commit's proof. */
  private spillSeq = 0;
  private spillSeqMarked = 0;
  readonly runId: string;
  private failures = 0;
  lastError: string | null = null;
  lastCommitAt: number | null = null;
  committedEvents = 0;

  constructor(private readonly o: IngestorOptions) {
    this.runId = o.runId ?? randomUUID();
  }

  private now(): number {
    return this.o.now ? this.o.now() : Date.now();
  }

  start(): void {
    this.timer = setInterval(() => this.flushInBackground(), this.o.flushIntervalMs);
    this.timer.unref();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Events waiting for their commit: ingested since the last drain, plus a queued batch. */
  get pendingCount(): number {
    return this.o.pipeline.pendingCount + (this.queued ? eventCount(this.queued.drained.batch) : 0);
  }

  /** One event; `spillSeq` is the spill log record it was read from, if it came that way. */
  acceptText(text: string, receivedAt: Date, server: string, bytes?: Uint8Array, spillSeq?: number): IngestOk | IngestFailed {
    return this.after(this.noted(this.o.pipeline.ingestText(text, receivedAt, server, bytes), spillSeq));
  }

  acceptObject(event: unknown, receivedAt: Date, server: string, spillSeq?: number): IngestOk | IngestFailed {
    return this.after(this.noted(this.o.pipeline.ingestObject(event, receivedAt, server), spillSeq));
  }

  /** Keeps the provenance of what the pipeline took, and the last spill record it read. */
  private noted<T extends IngestOk | IngestFailed>(result: T, spillSeq: number | undefined): T {
    if (spillSeq !== undefined && spillSeq > this.spillSeq) this.spillSeq = spillSeq;
    if (!result.ok) return result;
    const fromSpill = spillSeq !== undefined;
    const last = this.runs[this.runs.length - 1];
    if (last !== undefined && last.fromSpill === fromSpill) last.count++;
    else this.runs.push({ fromSpill, count: 1 });
    return result;
  }

  private after<T extends IngestOk | IngestFailed>(result: T): T {
    const pending = this.o.pipeline.pendingCount;
    if (!this.flushing) {
      if (pending >= this.o.batchSize && !this.handingOver) this.flushInBackground();
      else this.scheduleFlush();
    } else if (pending >= this.o.maxBufferedEvents || (this.pastHalfway && pending >= this.o.batchSize)) {
      this.queueNext();
    }
    if (!this.paused && this.pendingCount >= this.o.maxBufferedEvents) {
      this.paused = true;
      this.o.logger.warn({ pending: this.pendingCount }, 'ingest buffer full: pausing event sources until the database catches up');
      this.o.onBackpressure?.(true);
    }
    return result;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.flushing) this.flushInBackground();
    });
  }

  /** A flush nobody waits for: its failures are logged where they happen (settle). */
  private flushInBackground(): void {
    this.flush().catch(ignore);
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
    let current: Write | null = this.write(false);
    while (current !== null) {
      this.current = current;
      await this.settle(current);
      this.current = null;
      this.pastHalfway = false;
      // A batch queued meanwhile is being written now (or is handed over again when settled).
      let next: Write | null = this.queued;
      this.queued = null;
      this.resumeIfDrained();
      // Should resuming have taken events in and queued a batch, that batch goes next: no batch may be handed
      // over unqueued (afterPrevious false) while an earlier one is not durable, or it could commit first and
      // the earlier one's older call rows would overwrite its own.
      if (next === null && this.queued !== null) {
        next = this.queued;
        this.queued = null;
      }
      if (next) next.startedAt = performance.now();
      this.committed(current);
      current = next ?? (this.o.pipeline.hasChanges ? this.write(false) : null);
    }
  }

  /** Drains the next batch and queues it behind the one being written, unless one is queued already. */
  private queueNext(): void {
    if (this.flushing === null || this.queued !== null || this.handingOver || this.stopped || !this.o.pipeline.hasChanges) return;
    this.queued = this.write(true);
  }

  /** Drains the pipeline into a batch and hands it to the store. */
  private write(afterPrevious: boolean): Write {
    const { drained, provenance } = this.drain();
    const write: Write = { drained, provenance, done: Promise.resolve(), startedAt: performance.now() };
    write.done = this.o.store.writeBatch(drained.batch, {
      afterPrevious,
      // Only from the batch being written: a queued one reports its progress after it has become current.
      onBulkHalfway: () => {
        if (this.queued === write) return;
        this.pastHalfway = true;
        if (this.o.pipeline.pendingCount >= this.o.batchSize) this.queueNext();
      },
      onCommitUnknown: (reason) => this.commitUnknown(write, reason),
      onQuarantined: this.o.onQuarantined,
    });
    // Awaited in settle(); until then a rejection is not an unhandled one.
    write.done.catch(ignore);
    // What was taken is no longer waiting: let the sources fill the next batch during this write. Only once the
    // batch is handed over, and without starting a flush from in here (handingOver): events a resumed source
    // hands in at once must queue behind this batch, not start a second flush that could overtake it.
    this.handingOver = true;
    try {
      this.resumeIfDrained();
    } finally {
      this.handingOver = false;
    }
    return write;
  }

  /** The pipeline's next batch, numbered in write order. */
  private drain(): { drained: DrainedBatch; provenance: Provenance[] } {
    const drained = this.o.pipeline.drain(this.arrivalClock());
    // The spill's progress rides along only when it moved: most batches never touch the spill log.
    const spill = this.spillSeq > this.spillSeqMarked ? { spill: this.spillSeq } : {};
    this.spillSeqMarked = this.spillSeq;
    drained.batch.mark = { run: this.runId, batch: ++this.batches, ...spill };
    const provenance = this.runs;
    this.runs = [];
    return { drained, provenance };
  }

  /** Resolves once the batch is durable, handing it over again after each failure. */
  private async settle(write: Write): Promise<void> {
    for (;;) {
      try {
        await write.done;
        this.failures = 0;
        this.lastError = null;
        return;
      } catch (error) {
        if (isAppError(error) && error.code === ERROR_CODES.STORE_WRITE_SKIPPED) {
          // Queued behind a batch whose write failed; that one is durable now, so this one goes next.
          this.o.logger.debug({ events: eventCount(write.drained.batch) }, 'queued batch skipped after the batch before it failed; writing it again');
        } else {
          if (this.abandoned) throw error;
          this.failures++;
          this.lastError = (error as Error).message;
          this.o.logger.error({ err: error, attempt: this.failures, events: eventCount(write.drained.batch) }, 'batch commit failed; retrying');
          if (this.stopped && this.failures > 3) throw error;
          const delayMs = Math.min(5_000, 50 * 2 ** Math.min(this.failures, 7)) * (0.5 + Math.random() / 2);
          await new Promise((r) => setTimeout(r, delayMs));
        }
        write.startedAt = performance.now();
        write.done = this.o.store.writeBatch(write.drained.batch, {
          onCommitUnknown: (reason) => this.commitUnknown(write, reason),
          onQuarantined: this.o.onQuarantined,
        });
        write.done.catch(ignore);
      }
    }
  }

  /** The write's COMMIT got no answer: the store asks the database whether it committed before anything else. */
  private commitUnknown(write: Write, reason: string): void {
    this.lastError = `commit outcome unknown, asking the database: ${reason}`;
    this.o.logger.warn({ reason, events: eventCount(write.drained.batch) }, 'batch commit got no answer; asking the database whether it committed');
  }

  /** After a durable commit: counters, the commit callback, eviction of finished calls. */
  private committed(write: Write): void {
    this.lastCommitAt = this.now();
    this.committedEvents += eventCount(write.drained.batch);
    this.o.onCommitted?.(write.drained, performance.now() - write.startedAt);
    this.o.pipeline.evictFinished(this.arrivalClock(), this.o.finishedGraceMs ?? 10_000);
  }

  /**
   * The clock finished calls are kept by: when the events taken in arrived, not the wall clock. After an outage
   * the events that arrived during it are read back from the spill log with their arrival times; a call that
   * finished just before it is then kept until events of `finishedGraceMs` later are in, as without the outage,
   * so that a late event of it still finds it. (Kept by the wall clock, it was forgotten at the first commit
   * after the outage, and its late event founded a new call under its id whose record overwrote its own.)
   * Before any event, and never ahead of, the wall clock.
   */
  private arrivalClock(): number {
    const now = this.now();
    const arrived = this.o.pipeline.latestArrivalMs;
    return arrived > 0 && arrived < now ? arrived : now;
  }

  private resumeIfDrained(): void {
    if (this.paused && this.pendingCount < this.o.maxBufferedEvents / 2) {
      this.paused = false;
      this.o.logger.info('ingest buffer drained: resuming event sources');
      this.o.onBackpressure?.(false);
    }
  }

  /**
   * Stops taking time-driven flushes and commits what is pending. When that is not done within `deadlineMs`
   * (the database is slow or gone), gives up on it and returns the events not known to be stored: the batch
   * being written (its COMMIT may still land: the next start asks ingest_marks), the queued one, and what
   * was never drained. Nothing is retried after that.
   */
  async stop(deadlineMs = Number.POSITIVE_INFINITY): Promise<Unwritten> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const unwritten: Unwritten = { run: this.runId, batches: [] };
    let timer: NodeJS.Timeout | undefined;
    const flushed = await Promise.race([
      this.flush().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => {
        if (Number.isFinite(deadlineMs)) timer = setTimeout(() => resolve(false), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (flushed && !this.o.pipeline.hasChanges) return unwritten;
    this.abandoned = true;
    const left = [this.current, this.queued, this.o.pipeline.hasChanges ? this.drain() : undefined];
    for (const write of left) {
      if (write === undefined || write === null) continue;
      const { batch } = write.drained;
      // Events read from the spill log are still there, under their record numbers: not spooled twice.
      const events = direct([...batch.events, ...(batch.encodedEvents?.rows() ?? [])], write.provenance);
      if (events.length > 0 && batch.mark !== undefined) unwritten.batches.push({ batch: batch.mark.batch, events });
    }
    return unwritten;
  }
}
