import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

// Each PostgreSQL benchmark works in a database of its own, created for the run and dropped after,
// so it never touches anyone's data and a crashed run leaves at most one `callflow_bench_*` behind.

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `callflow_bench_${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    url: withDatabase(adminUrl, name),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** A migrated store on a fresh database; `close()` closes the store and drops the database. */
export async function openBenchStore(adminUrl: string, poolSize = 10): Promise<{ store: SqlStore; db: BenchDatabase; close(): Promise<void> }> {
  const db = await createBenchDatabase(adminUrl);
  try {
    const store = await openStore({ url: db.url, dataDir: 'memory://', poolSize });
    await store.migrate();
    return {
      store,
      db,
      async close() {
        try {
          await store.close();
        } finally {
          await db.drop();
        }
      },
    };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/** Runs one statement on its own connection (benchmark setup and checks, never the measured path). */
export async function queryOnce<T extends object = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
