import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

// Each PostgreSQL benchmark works in a database of its own, created for the run and dropped after,
// so it never touches anyone's data. Names carry the run's id (BENCH_RUN_ID, set by run.ts): a
// benchmark process killed before its cleanup leaves a database that run.ts drops at the end, and a
// SIGINT or SIGTERM drops this process's databases before it exits.

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

const PREFIX = 'callflow_bench_';

/** Name prefix of the databases of one `npm run bench` (or of this process alone). */
export function runPrefix(runId = process.env.BENCH_RUN_ID): string {
  return `${PREFIX}${/^[a-z0-9]{1,16}$/.test(runId ?? '') ? runId : 'x'}_`;
}

const live = new Map<string, BenchDatabase>();
let signalsHooked = false;

function dropOnSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...live.values()].map((db) => db.drop())).finally(() => process.exit(130));
    });
  }
}

export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `${runPrefix()}${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  let dropped = false;
  const db: BenchDatabase = {
    url: withDatabase(adminUrl, name),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      live.delete(name);
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
  live.set(name, db);
  dropOnSignals();
  return db;
}

/** Drops what a run left behind (databases named with its prefix); returns their names. */
export async function dropLeftovers(adminUrl: string, prefix: string): Promise<string[]> {
  const rows = await queryOnce<{ datname: string }>(adminUrl, 'SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
  for (const { datname } of rows) await admin(adminUrl, `DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  return rows.map((r) => r.datname);
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
