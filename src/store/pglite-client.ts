import { Worker } from 'node:worker_threads';
import { AppError, ERROR_CODES } from '../errors.ts';
import { writeSkippedError, type SqlClient, type WriteOptions, type WriteStep } from './sql-client.ts';
import { errorOf, type ThreadError } from './thread-error.ts';

// SqlClient over the embedded PGlite, which runs in a thread of its own (pglite-thread.js): PGlite
// executes on the thread that calls it, synchronously, so on the main thread every statement would stop
// the reading of events and the API for as long as it runs, and the engine would use one core.
//
// The thread runs requests one at a time in the order they are posted, so reads and writes keep the
// order they were issued in without waiting for each other here. A transaction (`transaction(fn)`) holds
// the database between its BEGIN and COMMIT: requests issued meanwhile from outside it are posted after
// it ends. No copyFrom: PGlite reads COPY input only from a mounted blob, measured 2-4x slower here than
// one INSERT of array parameters.

export const MEMORY_DATA_DIR = 'memory://';

const THREAD_FILE = new URL('./pglite-thread.js', import.meta.url);

type Request =
  | { op: 'query'; sql: string; params: readonly unknown[] | undefined }
  | { op: 'exec'; sql: string }
  | { op: 'write'; steps: readonly WriteStep[]; afterPrevious: boolean }
  | { op: 'close' };

type Reply =
  | { ready: true }
  | { ready: false; error: ThreadError }
  | { id: number; bulkHalfway: true }
  | { id: number; ok: true; rows?: unknown[] }
  | { id: number; ok: false; skipped?: true; error?: ThreadError };

interface Pending {
  resolve: (rows: unknown[]) => void;
  reject: (error: Error) => void;
  onBulkHalfway?: () => void;
}

class PgliteThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`embedded database thread exited (code ${code})`)));
  }

  /** Starts the thread and waits for the database to open. */
  static async start(dataDir: string): Promise<PgliteThread> {
    const worker = new Worker(THREAD_FILE, { workerData: { dataDir } });
    const ready = await new Promise<Reply>((resolve, reject) => {
      const onExit = (code: number): void => reject(new Error(`embedded database thread exited (code ${code}) while opening`));
      worker.once('error', reject).once('exit', onExit).once('message', (reply: Reply) => {
        worker.off('error', reject).off('exit', onExit);
        resolve(reply);
      });
    });
    if ('ready' in ready && !ready.ready) {
      await worker.terminate();
      throw errorOf(ready.error);
    }
    const thread = new PgliteThread(worker);
    // Idle, the thread does not keep the process alive; a request in flight does.
    worker.unref();
    return thread;
  }

  call(request: Request, onBulkHalfway?: () => void): Promise<unknown[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<unknown[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onBulkHalfway });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, ...request });
    });
  }

  /** Closes the database; every later request fails with a store error. */
  async close(): Promise<void> {
    const done = this.call({ op: 'close' });
    this.failure ??= new AppError(ERROR_CODES.STORE_UNAVAILABLE, 'the embedded database is closed');
    await done.catch(() => undefined);
  }

  private settle(reply: Reply): void {
    if (!('id' in reply)) return;
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    if ('bulkHalfway' in reply) {
      const notify = waiting.onBulkHalfway;
      waiting.onBulkHalfway = undefined;
      notify?.();
      return;
    }
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiting.resolve(reply.rows ?? []);
    else if (reply.skipped) waiting.reject(writeSkippedError());
    else waiting.reject(errorOf(reply.error ?? { message: 'unknown embedded database error', name: 'Error' }));
  }

  /** The thread is gone, and the database with it: what it held fails, and so does every later request. */
  private fail(error: Error): void {
    this.failure ??= new AppError(ERROR_CODES.STORE_UNAVAILABLE, `the embedded database stopped: ${error.message}`, { cause: error });
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiting) w.reject(this.failure);
  }
}

/** `dataDir` is a folder that already exists, or `memory://`. */
export async function openPgliteClient(dataDir: string): Promise<SqlClient> {
  const thread = await PgliteThread.start(dataDir);
  /** Settles when the open transaction, if any, has posted its COMMIT or ROLLBACK. */
  let gate: Promise<void> = Promise.resolve();
  let closed = false;

  const query = async <T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]> =>
    (await thread.call({ op: 'query', sql, params })) as T[];
  const exec = async (sql: string): Promise<void> => {
    await thread.call({ op: 'exec', sql });
  };
  const writeSteps = async (steps: readonly WriteStep[], options: WriteOptions = {}): Promise<void> => {
    await thread.call({ op: 'write', steps, afterPrevious: options.afterPrevious === true }, options.onBulkHalfway);
  };
  const writeInside = async (steps: readonly WriteStep[]): Promise<void> => {
    for (const step of steps) {
      if (step.kind === 'copy') throw new Error('the embedded database takes no COPY steps');
      await query(step.sql, step.params);
    }
  };
  // Inside a transaction its statements go straight to the thread.
  const inside: SqlClient = {
    dialect: 'pglite',
    query,
    exec,
    transaction: (fn) => fn(inside),
    writeSteps: writeInside,
    async close() {},
  };

  // Outside a transaction, each request is posted once no transaction holds the database.
  return {
    dialect: 'pglite',
    async query<T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]> {
      await gate;
      return query<T>(sql, params);
    },
    async exec(sql) {
      await gate;
      return exec(sql);
    },
    async writeSteps(steps, options) {
      await gate;
      return writeSteps(steps, options);
    },
    async transaction(fn) {
      const before = gate;
      let release = (): void => {};
      gate = new Promise<void>((resolve) => (release = resolve));
      try {
        await before;
        await query('BEGIN');
        try {
          const result = await fn(inside);
          await query('COMMIT');
          return result;
        } catch (error) {
          await query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      } finally {
        release();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await gate;
      await thread.close();
    },
  };
}
