import type { Logger } from 'pino';
import type { AriBridge, AriChannel } from '../ari/types.ts';
import type { SpillLog } from './spill-log.ts';
import { SpillRecordReader, SpillRecordWriter, type SpilledRecord } from './spill-records.ts';

// Never stop reading a source. When the database falls behind (the ingest buffer is full), new events go to
// the spill log on local disk instead of pausing the source, in arrival order; once the buffer has room they
// are read back and ingested in that order, and the log keeps taking new events until it is read empty, at
// which point events go straight to the pipeline again. A record leaves the log only when a committed batch
// carries its number (ingest_marks, row `spill`): a crash replays what was not stored, a restart too.
// Only a full log loses events: counted, logged as an error, shown in /health.

export interface SpillDeps {
  log: SpillLog;
  logger: Logger;
  /** Ingests one record read back from the log, under its number (an event at once; a resync's view may take a while). */
  take(record: SpilledRecord, seq: number): Promise<void> | void;
  /** Events the pipeline holds that are not yet durable. */
  pending(): number;
  /** Records read back per round. */
  batchSize: number;
  /** Reading back waits while the pipeline holds this many. */
  resumeBelow: number;
  onLost(events: number): void;
}

const LOSS_WARNING_MS = 10_000;

export class Spill {
  /** New events go to the log (it holds unread records, or the pipeline is full). */
  private active = false;
  private draining: Promise<void> | null = null;
  private stopping = false;
  /** Records at or below this number are stored already (a previous run's, found at start). */
  private storedThrough = 0;
  spilled = 0;
  lost = 0;
  lastLossAtMs: number | null = null;
  private unwarnedLosses = 0;
  private lastWarningMs = Number.NEGATIVE_INFINITY;
  /** The read-back waiting for the pipeline to have room: woken by the next commit, or by stop. */
  private wake: (() => void) | null = null;
  private readonly writer = new SpillRecordWriter();
  private readonly reader = new SpillRecordReader();

  constructor(private readonly deps: SpillDeps) {}

  get isActive(): boolean {
    return this.active;
  }

  get unread(): number {
    return this.deps.log.unread;
  }

  get bytes(): number {
    return this.deps.log.bytes;
  }

  /** At start: records up to `storedThrough` are stored; anything after them is taken in before new events. */
  open(storedThrough: number): void {
    this.storedThrough = storedThrough;
    this.deps.log.startAt(storedThrough + 1);
    if (this.deps.log.unread > 0) {
      this.active = true;
      this.deps.logger.warn({ records: this.deps.log.unread }, 'events spilled by an earlier run are taken in first');
      this.resume();
    }
  }

  /** The pipeline is full: from now on events go to the log. */
  begin(): void {
    if (this.active) return;
    this.active = true;
    this.deps.logger.warn('ingest buffer full: events go to the spill log on disk until the database catches up');
  }

  /** Appends an event; false when the log is full and the event is lost (counted). */
  event(server: string, receivedAt: Date, raw: Uint8Array | string): boolean {
    return this.append(this.writer.event(server, receivedAt.getTime(), raw), 1);
  }

  /** A resync's view of a server, taken while events are spilled: compared with the calls when its turn comes. */
  resync(server: string, view: { channels: AriChannel[]; bridges: AriBridge[] }): boolean {
    return this.append(this.writer.resync(server, Date.now(), view), 0);
  }

  /** A batch committed, carrying records up to `seq` when it holds spilled ones: the pipeline has room. */
  committed(seq: number | undefined): void {
    if (seq !== undefined) this.deps.log.consumedThrough(seq);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /**
   * The pipeline has room again: reads the log back (once; later calls join the running read). The reading
   * starts on a later microtask, never inside the caller: resume() is called from within the ingestor (as it
   * hands a batch to the store), and events taken in there would re-enter it half way (a second flush started
   * before the first had handed its batch over wrote a later batch ahead of an earlier one).
   */
  resume(): void {
    if (!this.active || this.stopping || this.draining !== null) return;
    this.draining = Promise.resolve()
      .then(() => this.drain())
      .catch((error: unknown) => {
        if (!this.stopping) this.deps.logger.error({ err: error }, 'reading the spill log back failed; it is tried again when the pipeline has room');
      })
      .finally(() => {
        this.draining = null;
      });
  }

  /** Resolves once the log's segments consumed so far are deleted from the disk. */
  settled(): Promise<void> {
    return this.deps.log.settled();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.wake = null;
    await this.draining?.catch(() => undefined);
    this.deps.log.close();
    await this.deps.log.settled();
  }

  private append(parts: Uint8Array[], events: number): boolean {
    const seq = this.deps.log.append(...parts);
    if (seq !== null) {
      this.spilled += events;
      return true;
    }
    this.lost += Math.max(events, 1);
    this.lastLossAtMs = Date.now();
    this.deps.onLost(Math.max(events, 1));
    this.unwarnedLosses += Math.max(events, 1);
    const now = performance.now();
    if (now - this.lastWarningMs >= LOSS_WARNING_MS) {
      this.lastWarningMs = now;
      this.deps.logger.error({ lost: this.unwarnedLosses, bytes: this.deps.log.bytes }, 'spill log full: events lost (raise ingest.spillMaxBytes, or bring the database back)');
      this.unwarnedLosses = 0;
    }
    return false;
  }

  /** Resolves at the next commit (or at stop). */
  private nextCommit(): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  // Reading back keeps the pipeline between half full and full, so the store always has the next batch ready
  // while one is written (waiting for each round to be durable would write small batches one at a time).
  private async drain(): Promise<void> {
    const { log } = this.deps;
    while (this.active && !this.stopping) {
      if (this.deps.pending() >= this.deps.resumeBelow) {
        await this.nextCommit();
        continue;
      }
      // Up to half full in one round: the store then writes batches as large as when events arrive live.
      const records = log.read(Math.max(this.deps.batchSize, this.deps.resumeBelow - this.deps.pending()));
      for (const record of records) {
        if (record.seq <= this.storedThrough) continue;
        const spilled = this.reader.read(record.payload);
        if (spilled === null) {
          this.lost++;
          this.deps.onLost(1);
          this.deps.logger.error({ record: record.seq }, 'a spill log record could not be read; its event is lost');
          continue;
        }
        const taking = this.deps.take(spilled, record.seq);
        if (taking !== undefined) await taking;
      }
      // Synchronously after the last record: nothing can be appended between this check and the switch.
      if (log.unread === 0) {
        this.active = false;
        this.deps.logger.info('spill log read back: events go straight to the database again');
        return;
      }
      // A turn of the event loop between rounds: sources keep being read, writes keep being answered.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
