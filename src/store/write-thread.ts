import { Worker } from 'node:worker_threads';
import { writeSkippedError, type WriteOptions, type WriteStep } from './sql-client.ts';
import { errorOf, type ThreadError } from './thread-error.ts';

// Runs prepared write transactions on PostgreSQL from a thread of their own (pg-write-thread.js).
// Why: on the main thread a COPY of tens of megabytes is written to the socket only when the event loop
// gets round to it, and under load the loop is busy reading events for many milliseconds at a time; the
// server then sat waiting for data for about a third of each COPY. The writer thread does nothing else.
//
// COPY data is shared with the thread, not copied: its chunks are shared memory (copy-chunks.ts), and the
// caller keeps them unchanged until the write has settled. The thread starts on the first
// write, keeps the process alive only while a write is in flight, and is restarted if it dies.
//
// Writes run one after another in the order they were handed over. A write handed over while another is
// still running may ask to run only if that one succeeds (`afterPrevious`): the ingestor queues its next
// batch this way, so the database starts on it the moment the previous commits, and a failed batch is
// never overtaken by the one behind it. The thread also reports when half of a write's step marked `bulk`
// (a batch's events) has gone to the server (WriteOptions.onBulkHalfway), so the ingestor can queue its
// next batch in time.
//
// Each write reports its transaction's id once it has begun. If the thread dies with a write in flight,
// that write's outcome is unknown (its COMMIT may have reached the server): a new thread asks the server
// how the transaction ended, and the write succeeds or fails by that answer, so a retry never stores a
// committed batch twice.

const THREAD_FILE = new URL('./pg-write-thread.js', import.meta.url);

/** A transaction on the server: its id and the server process running it. */
interface Began {
  xid: string;
  pid: number;
}

interface Reply {
  id: number;
  /** A progress message, not the end: half of the step marked bulk has gone to the server. */
  bulkHalfway?: boolean;
  /** A progress message, not the end: the write's transaction is open. */
  began?: Began;
  /** A progress message, not the end: COMMIT failed, the thread is asking how the transaction ended. */
  commitUnknown?: string;
  ok?: boolean;
  /** Not run: the write before it failed (afterPrevious). */
  skipped?: boolean;
  error?: ThreadError;
}

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
  onBulkHalfway?: () => void;
  onCommitUnknown?: (reason: string) => void;
  began?: Began;
}

export interface WriteThreadOptions {
  url: string;
  connectTimeoutMs: number;
}

export class WriteThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: WriteThreadOptions) {}

  run(steps: readonly WriteStep[], options: WriteOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('connection pool was closed'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onBulkHalfway: options.onBulkHalfway, onCommitUnknown: options.onCommitUnknown });
      if (this.pending.size === 1) worker.ref();
      // Chunks over shared memory reach the thread as views of the same memory; any others are copied.
      worker.postMessage({ id, steps, afterPrevious: options.afterPrevious === true });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage({ close: true });
    const timer = setTimeout(() => void worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_FILE, { workerData: { ...this.options } });
    worker.unref();
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (error) => this.fail(worker, error));
    worker.on('exit', (code) => this.fail(worker, new Error(`database writer thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply): void {
    if (reply.began) {
      const waiting = this.pending.get(reply.id);
      if (waiting) waiting.began = reply.began;
      return;
    }
    if (reply.commitUnknown !== undefined) {
      this.pending.get(reply.id)?.onCommitUnknown?.(reply.commitUnknown);
      return;
    }
    if (reply.bulkHalfway) {
      const waiting = this.pending.get(reply.id);
      const notify = waiting?.onBulkHalfway;
      if (waiting) waiting.onBulkHalfway = undefined;
      notify?.();
      return;
    }
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) waiting.resolve();
    else if (reply.skipped) waiting.reject(writeSkippedError());
    else waiting.reject(errorOf(reply.error ?? { message: 'unknown database writer error', name: 'Error' }));
  }

  /**
   * The thread died. A write whose transaction had begun may have committed: a new thread asks the server
   * and settles it by the answer. The writes behind it never started and fail (the ingestor retries them).
   */
  private fail(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const entries = [...this.pending];
    this.pending.clear();
    for (const [id, w] of entries) {
      if (w.began && !this.closed) {
        this.pending.set(id, w);
        const fresh = this.ensureWorker();
        if (this.pending.size === 1) fresh.ref();
        fresh.postMessage({ id, check: w.began });
        w.onCommitUnknown?.(error.message);
      } else w.reject(error);
    }
  }
}
