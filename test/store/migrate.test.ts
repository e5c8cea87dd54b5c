import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, MIGRATIONS_DIR, runMigrations } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { createPostgresDatabase, postgresUrl, storeKinds, useTestStore } from '../support/test-store.ts';

// The migration runner: folder order, bookkeeping, whole-run rollback, and concurrent starts.

// Tables of 001; later files (other features) may add more.
const TABLES = ['calls', 'legs', 'events', 'event_type_counts', 'outbox', 'schema_migrations'];

async function tableNames(store: SqlStore): Promise<string[]> {
  const rows = await store.sql.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

describe.each(storeKinds())('migrations (%s)', (kind) => {
  const testStore = useTestStore(kind);
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callflow-migrations-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the schema and records each file once', async () => {
    const { store } = testStore();
    expect(await tableNames(store)).toEqual(expect.arrayContaining(TABLES));
    await store.migrate();
    const rows = await store.sql.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual((await loadMigrations()).map((m) => m.name));
  });

  it('applies files added later in name order (whatever order they were written in), and rolls a failing run back whole', async () => {
    const { store } = testStore();
    for (const m of await loadMigrations()) await copyFile(join(MIGRATIONS_DIR, m.name), join(dir, m.name));
    await writeFile(join(dir, '902_second.sql'), 'ALTER TABLE notes ADD COLUMN body text;');
    await writeFile(join(dir, '901_first.sql'), 'CREATE TABLE notes (id int PRIMARY KEY);');
    await writeFile(join(dir, 'README.md'), 'not a migration');

    const first = await runMigrations(store.sql, await loadMigrations(dir));
    expect(first).toEqual({ applied: ['901_first.sql', '902_second.sql'], unknown: [] });
    await store.sql.query('INSERT INTO notes (id, body) VALUES (1, $1)', ['kept']);

    await writeFile(join(dir, '903_fine.sql'), 'CREATE TABLE more_notes (id int);');
    await writeFile(join(dir, '904_broken.sql'), 'ALTER TABLE no_such_table ADD COLUMN x int;');
    await expect(runMigrations(store.sql, await loadMigrations(dir))).rejects.toMatchObject({
      code: 'CF_MIGRATION_FAILED',
      details: { migration: '904_broken.sql' },
    });
    const names = await store.sql.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(names.map((r) => r.name)).not.toContain('903_fine.sql');
    expect(await tableNames(store)).not.toContain('more_notes');

    // The bundled set alone now reports the files it does not know.
    const bundled = await runMigrations(store.sql, await loadMigrations());
    expect(bundled).toEqual({ applied: [], unknown: ['901_first.sql', '902_second.sql'] });
  });
});

describe.skipIf(!postgresUrl)('migrations on PostgreSQL started together', () => {
  it('lets four instances migrate a fresh database at once', async () => {
    const database = await createPostgresDatabase();
    const stores: SqlStore[] = [];
    try {
      for (let i = 0; i < 4; i++) stores.push(await openStore({ url: database.url, dataDir: 'memory://', poolSize: 2 }));
      const results = await Promise.allSettled(stores.map((s) => s.migrate()));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);

      const store = stores[0]!;
      const recorded = await store.sql.query<{ name: string; n: number }>(
        'SELECT name, count(*) AS n FROM schema_migrations GROUP BY name ORDER BY name',
      );
      expect(recorded).toEqual((await loadMigrations()).map((m) => ({ name: m.name, n: 1 })));
      expect(await tableNames(store)).toEqual(expect.arrayContaining(TABLES));
      const indexes = await store.sql.query<{ n: number }>(
        `SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'calls_started_idx'`,
      );
      expect(indexes[0]!.n).toBe(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await database.drop();
    }
  });
});
