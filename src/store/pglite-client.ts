import { PGlite, type Transaction } from '@electric-sql/pglite';
import { SerialQueue, type SqlClient } from './sql-client.ts';

// SqlClient over the embedded PGlite. PGlite executes one statement at a time; the queue makes that
// explicit so a burst of reads waits its turn instead of relying on the library's internal ordering.
// No copyFrom: PGlite reads COPY input only from a mounted blob, measured 2-4x slower here than one
// INSERT of a JSON array parameter.

export const MEMORY_DATA_DIR = 'memory://';

/** `dataDir` is a folder that already exists, or `memory://`. */
export async function openPgliteClient(dataDir: string): Promise<SqlClient> {
  const db = await PGlite.create(dataDir);
  const queue = new SerialQueue();

  return {
    dialect: 'pglite',
    query: (sql, params) => queue.run(() => rowsOf(db.query(sql, params as unknown[] | undefined))),
    async exec(sql) {
      await queue.run(() => db.exec(sql));
    },
    transaction: (fn) => queue.run(() => db.transaction((tx) => fn(transactionClient(tx)))),
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
    async close() {},
  };
  return self;
}

async function rowsOf<T>(pending: Promise<{ rows: unknown[] }>): Promise<T[]> {
  return (await pending).rows as T[];
}
