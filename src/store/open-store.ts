import { mkdir } from 'node:fs/promises';
import type { Logger } from '../app/logger.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { createPgClient } from './pg-client.ts';
import { MEMORY_DATA_DIR, openPgliteClient } from './pglite-client.ts';
import { createSqlStore, type SqlStore } from './sql-store.ts';
import { toStoreError } from './store-errors.ts';

export interface OpenStoreOptions {
  /** PostgreSQL connection string; without it the embedded database in `dataDir` is used. */
  url?: string;
  /** Folder of the embedded database, created if missing; `memory://` keeps it in memory. */
  dataDir: string;
  /** Connections in the PostgreSQL pool (default 10). */
  poolSize?: number;
  logger?: Logger;
}

const DEFAULT_POOL_SIZE = 10;

/** Opens the store without migrating it: call `migrate()` before use. */
export async function openStore(options: OpenStoreOptions): Promise<SqlStore> {
  return options.url ? openPostgres(options.url, options) : openEmbedded(options);
}

async function openPostgres(url: string, options: OpenStoreOptions): Promise<SqlStore> {
  const { logger } = options;
  const client = createPgClient({
    url,
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    onIdleError: (err) => logger?.warn({ err: err.message }, 'idle PostgreSQL connection failed; it will be replaced'),
  });
  try {
    await client.query('SELECT 1');
  } catch (err) {
    await client.close().catch(() => undefined);
    const storeError = toStoreError(err, 'connect');
    // Wrong password, missing database: not retryable, but still the store being unavailable.
    throw storeError.code === ERROR_CODES.STORE_UNAVAILABLE
      ? storeError
      : new AppError(ERROR_CODES.STORE_UNAVAILABLE, `Cannot connect to PostgreSQL: ${messageOf(err)}`, { cause: err });
  }
  return createSqlStore(client, { kind: 'postgres', logger });
}

async function openEmbedded(options: OpenStoreOptions): Promise<SqlStore> {
  const { dataDir, logger } = options;
  if (dataDir === MEMORY_DATA_DIR) {
    return createSqlStore(await openPgliteClient(MEMORY_DATA_DIR), { kind: 'embedded', logger });
  }
  await mkdir(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir, {
    onStaleLock: ({ pid, path }) => logger?.warn({ pid, path }, 'took over the lock of a process that is gone'),
  });
  try {
    const client = await openPgliteClient(dataDir);
    logger?.info({ dataDir }, 'opened the embedded database');
    return createSqlStore(client, { kind: 'embedded', logger, onClose: () => lock.release() });
  } catch (err) {
    await lock.release();
    throw new AppError(
      ERROR_CODES.STORE_UNAVAILABLE,
      `Cannot open the embedded database in ${dataDir}: ${messageOf(err)}`,
      { cause: err },
    );
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
