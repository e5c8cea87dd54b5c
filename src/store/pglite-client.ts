import { PGlite, type Transaction } from '@electric-sql/pglite';
import { SerialQueue, writeSkippedError, type SqlClient, type WriteOptions, type WriteStep } from './sql-client.ts';

// SqlClient over the embedded PGlite. PGlite executes one statement at a time; the queue makes that
// explicit so a burst of reads waits its turn instead of relying on the library's internal ordering.
// No copyFrom: PGlite reads COPY input only from a mounted blob, measured 2-4x slower here than one
// INSERT of a JSON array parameter.

export const MEMORY_DATA_DIR = 'memory://';

/** `dataDir` is a folder that already exists, or `memory://`. */
export async function openPgliteClient(dataDir: string): Promise<SqlClient> {
  const db = await PGlite.create(dataDir);
  const queue = new SerialQueue();
  /** Whether the last write succeeded (for WriteOptions.afterPrevious). */
  let lastWriteOk = true;
  const write = async (steps: readonly WriteStep[], options: WriteOptions = {}): Promise<void> => {
    if (options.afterPrevious && !lastWriteOk) throw writeSkippedError();
    lastWriteOk = false;
    await db.transaction((tx) => runSteps(tx, steps));
    lastWriteOk = true;
  };

  return {
    dialect: 'pglite',
    query: (sql, params) => queue.run(() => rowsOf(db.query(sql, params as unknown[] | undefined))),
    async exec(sql) {
      await queue.run(() => db.exec(sql));
    },
    transaction: (fn) => queue.run(() => db.transaction((tx) => fn(transactionClient(tx)))),
    writeSteps: (steps, options) => queue.run(() => write(steps, options)),
    async close() {
      await queue.run(async () => {
        if (!db.closed) await db.close();
      });
    },
  };
}

function transactionClient(tx: Transaction): SqlClient {
  const self: SqlClient = {
    dialect: 'pglite',
    query: (sql, params) => rowsOf(tx.query(sql, params as unknown[] | undefined)),
    async exec(sql) {
      await tx.exec(sql);
    },
    transaction: (fn) => fn(self),
    writeSteps: (steps) => runSteps(tx, steps),
    async close() {},
  };
  return self;
}

/**
 * PGlite executes each statement on this very thread, so a transaction would otherwise run start to end
 * without the event sources being read. Yielding between statements lets the next batch gather while
 * this one is written, as it does with a server: batches grow with the load and each call is upserted
 * once per batch rather than once per handful of events (~15% more events/s).
 */
async function runSteps(tx: Transaction, steps: readonly WriteStep[]): Promise<void> {
  for (const step of steps) {
    if (step.kind === 'copy') throw new Error('the embedded database takes no COPY steps');
    await tx.query(step.sql, step.params as unknown[]);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function rowsOf<T>(pending: Promise<{ rows: unknown[] }>): Promise<T[]> {
  return (await pending).rows as T[];
}
