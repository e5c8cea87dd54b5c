import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { AppError, ERROR_CODES, isAppError } from '../errors.ts';
import type { SqlClient } from './sql-client.ts';

// Plain SQL migrations, applied in file-name order and recorded in schema_migrations. The whole run holds
// one transaction-scoped advisory lock, so instances starting together apply each file exactly once;
// a failing file rolls back the whole run. A file therefore must not need to run outside a transaction
// (no CREATE INDEX CONCURRENTLY).

/** Advisory lock key of the migration run (any constant the application uses nowhere else). */
export const MIGRATION_LOCK_KEY = 4_210_771_203;

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

const MIGRATION_FILE = /^\d{3,}_[a-z0-9_-]+\.sql$/i;

export interface Migration {
  name: string;
  sql: string;
}

export interface MigrationResult {
  applied: string[];
  /** Recorded in the database but absent from the folder (a newer version ran here before). */
  unknown: string[];
}

export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => MIGRATION_FILE.test(name)).sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(join(dir, name), 'utf8') })));
}

export async function runMigrations(client: SqlClient, migrations: Migration[]): Promise<MigrationResult> {
  return client.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const rows = await tx.query<{ name: string }>('SELECT name FROM schema_migrations');
    const done = new Set(rows.map((row) => row.name));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      try {
        await tx.exec(migration.sql);
        await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [migration.name]);
      } catch (err) {
        if (isAppError(err)) throw err;
        throw new AppError(ERROR_CODES.MIGRATION_FAILED, `Migration ${migration.name} failed: ${messageOf(err)}`, {
          cause: err,
          details: { migration: migration.name },
        });
      }
      applied.push(migration.name);
    }
    const known = new Set(migrations.map((m) => m.name));
    return { applied, unknown: [...done].filter((name) => !known.has(name)).sort() };
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
