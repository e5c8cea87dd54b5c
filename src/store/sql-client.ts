import { AppError, ERROR_CODES } from '../errors.ts';

// The one thing the store (and the CRM outbox worker) needs from a database driver. Two adapters:
// pg-client.ts (node-postgres pool) and pglite-client.ts (embedded PGlite). Both return the same
// JavaScript types: int8 and counts as numbers, timestamptz as Date, json/jsonb parsed, numeric as string
// (cast to float8 or int in SQL when a number is wanted).

export type SqlDialect = 'postgres' | 'pglite';

/**
 * One statement of a prepared write: a parameterized query, or `COPY table (cols) FROM STDIN` with its
 * data in the format the statement names, in chunks sent one after another (the ingest path sends binary
 * in chunks of shared memory, see copy-binary.ts and copy-chunks.ts; a client may read them from another
 * thread, and the caller keeps them unchanged until the write has settled).
 */
export type WriteStep =
  | { kind: 'query'; sql: string; params: readonly unknown[]; bulk?: boolean }
  | { kind: 'copy'; sql: string; chunks: readonly Uint8Array[]; bulk?: boolean };

export interface WriteOptions {
  /**
   * Run only if the write handed over just before this one succeeds; otherwise fail with
   * CF_STORE_WRITE_SKIPPED (retryable) without writing anything. Lets a caller queue its next write while
   * one is in flight and still never have a failed write overtaken by the one behind it.
   */
  afterPrevious?: boolean;
  /**
   * Called once about half of the step marked `bulk` (the bulk of the write: a batch's events) has gone to
   * the database: the rest of that step and the smaller statements and commit after it remain. A hint, not
   * a promise: a client may never call it, and calls it at most once. The ingestor serializes its next
   * batch meanwhile, so that it is waiting when this write commits.
   */
  onBulkHalfway?: () => void;
  /**
   * Called when the write's COMMIT got no answer (its connection broke, or the thread writing it died) and
   * the client asks the database whether it committed. The write then settles by that answer, which waits
   * while the database cannot be reached; `reason` is the failure that left the outcome unknown.
   */
  onCommitUnknown?: (reason: string) => void;
}

/** The failure of a write that was not run because the write before it failed (WriteOptions.afterPrevious). */
export function writeSkippedError(): AppError {
  return new AppError(ERROR_CODES.STORE_WRITE_SKIPPED, 'not written: the write queued before it failed', { retryable: true });
}

export interface SqlClient {
  readonly dialect: SqlDialect;
  /** One statement with `$1`-style parameters; returns its rows. */
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` inside BEGIN/COMMIT on one connection, ROLLBACK when it throws. Inside `fn`, use `tx` only:
   * the outer client may wait for this very transaction (PGlite runs one thing at a time).
   * Calling `transaction` on `tx` joins the open transaction.
   */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Runs prepared steps in order in one transaction (ROLLBACK and reject on the first failure). The
   * ingest write path: everything is serialized before the transaction opens, so it holds its locks
   * only as long as the database needs. `copy` steps only where `dialect` is 'postgres'. Writes run in
   * the order they were handed over (`options` apply to a pool's or database's client; inside
   * `transaction` they are ignored).
   */
  writeSteps(steps: readonly WriteStep[], options?: WriteOptions): Promise<void>;
  /** Ends the pool or the embedded database. A transaction client's close() does nothing. */
  close(): Promise<void>;
}
