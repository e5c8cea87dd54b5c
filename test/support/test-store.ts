import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openStore } from '../../src/store/open-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';

// Stores for tests. Every PostgreSQL test gets its own fresh database, dropped afterwards, so test files
// running in parallel (and other people's work on the same server) never see each other's rows.

export type StoreKind = 'embedded' | 'postgres';

/** PostgreSQL server for tests; PostgreSQL-only tests are skipped when unset. */
export const postgresUrl: string | undefined = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

export function storeKinds(): StoreKind[] {
  return postgresUrl ? ['embedded', 'postgres'] : ['embedded'];
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

function requirePostgresUrl(): string {
  if (!postgresUrl) throw new Error('Set TEST_DATABASE_URL or DATABASE_URL to run PostgreSQL tests');
  return postgresUrl;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs one statement on the server's admin connection (the URL's database, else `postgres`). */
async function adminQuery(sql: string): Promise<void> {
  const url = requirePostgresUrl();
  for (const target of [url, withDatabase(url, 'postgres')]) {
    const client = new pg.Client({ connectionString: target });
    try {
      await client.connect();
    } catch (err) {
      // The URL's database may not exist yet (a CI URL naming `test`): fall back to `postgres`.
      if ((err as { code?: string }).code === '3D000' && target === url) continue;
      throw err;
    }
    try {
      await client.query(sql);
      return;
    } finally {
      await client.end();
    }
  }
}

export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `callflow_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    url: withDatabase(requirePostgresUrl(), name),
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export interface TestStore {
  store: SqlStore;
  /** Connection string of the test's own database; null for the embedded store. */
  url: string | null;
  close(): Promise<void>;
}

/** A migrated store: in-memory PGlite, or a fresh PostgreSQL database. */
export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind === 'embedded') {
    const store = await openStore({ dataDir: 'memory://' });
    await store.migrate().catch(async (err: unknown) => {
      await store.close();
      throw err;
    });
    return { store, url: null, close: () => store.close() };
  }
  const database = await createPostgresDatabase();
  try {
    const store = await openStore({ url: database.url, dataDir: 'memory://', poolSize: 4 });
    await store.migrate().catch(async (err: unknown) => {
      await store.close();
      throw err;
    });
    return {
      store,
      url: database.url,
      async close() {
        try {
          await store.close();
        } finally {
          await database.drop();
        }
      },
    };
  } catch (err) {
    await database.drop();
    throw err;
  }
}

/**
 * Opens one store of `kind` for the enclosing describe block (beforeAll) and closes it after (afterAll).
 * Returns a getter, valid inside tests.
 */
export function useTestStore(kind: StoreKind): () => TestStore {
  let opened: TestStore | undefined;
  beforeAll(async () => {
    opened = await openTestStore(kind);
  });
  afterAll(async () => {
    await opened?.close();
  });
  return () => {
    if (!opened) throw new Error('useTestStore: the store is only available inside tests');
    return opened;
  };
}

/** Deliveries to this sink make their write fail with an error that is not a refusal of data (see below). */
export const FAILING_SINK = 'test-write-fails';

/**
 * Makes any write that inserts an outbox row for FAILING_SINK fail as a whole, with an error the store does
 * not take for a refusal of data (SQLSTATE P0001): for tests of what a failed write leaves behind. A row the
 * database refuses for good (a NOT NULL column left empty, say) is no longer such a failure: the store puts
 * it in quarantine and writes the rest (isolate-batch.ts).
 */
export async function failWritesToSink(store: SqlStore): Promise<void> {
  await store.sql.exec(`
    CREATE OR REPLACE FUNCTION test_fail_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.sink = '${FAILING_SINK}' THEN RAISE EXCEPTION 'test: this write fails' USING ERRCODE = 'P0001'; END IF;
      RETURN NEW;
    END $$;
    DROP TRIGGER IF EXISTS test_fail_write ON outbox;
    CREATE TRIGGER test_fail_write BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION test_fail_write();`);
}
