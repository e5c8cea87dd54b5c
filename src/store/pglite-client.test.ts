import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, isAppError } from '../errors.ts';
import { MEMORY_DATA_DIR, openPgliteClient } from './pglite-client.ts';
import type { SqlClient } from './sql-client.ts';
import { toStoreError } from './store-errors.ts';

// The embedded database runs in a thread of its own (pglite-thread.js): what that changes for callers.

describe('embedded database client', () => {
  let db: SqlClient;

  beforeAll(async () => {
    db = await openPgliteClient(MEMORY_DATA_DIR);
    await db.exec('CREATE TABLE t (n int PRIMARY KEY, label text)');
  });
  afterAll(async () => {
    await db.close();
  });

  it('leaves this thread free while a statement runs', async () => {
    let settled = false;
    const slow = db.query<{ total: string }>('SELECT sum(g)::text AS total FROM generate_series(1, 3000000) AS g').then((rows) => {
      settled = true;
      return rows;
    });
    // On this thread, PGlite would hold the event loop until the sum is done; the timer fires first here.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    expect(await slow).toEqual([{ total: '4500001500000' }]);
  });

  it('runs what is issued outside a transaction after it, and sees what it committed', async () => {
    let outside: Promise<{ n: number }[]> | undefined;
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t (n, label) VALUES (1, $1)', ['one']);
      outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
      await tx.transaction((inner) => inner.query('INSERT INTO t (n, label) VALUES (2, $1)', ['two']));
    });
    expect(await outside).toEqual([{ n: 2 }]);
  });

  it('rolls a failed transaction back and goes on', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t (n, label) VALUES (3, $1)', ['three']);
        await tx.query('INSERT INTO t (n, label) VALUES (1, $1)', ['duplicate']);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await db.query('SELECT n FROM t ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('writes steps in one transaction, and skips a write queued behind a failed one', async () => {
    const failing = db.writeSteps([
      { kind: 'query', sql: 'INSERT INTO t (n, label) VALUES (10, $1)', params: ['ten'] },
      { kind: 'query', sql: 'INSERT INTO t (n, label) VALUES (1, $1)', params: ['duplicate'] },
    ]);
    const queued = db.writeSteps([{ kind: 'query', sql: 'INSERT INTO t (n, label) VALUES (11, $1)', params: ['eleven'] }], { afterPrevious: true });
    await expect(failing).rejects.toMatchObject({ code: '23505' });
    const skipped = await queued.then(
      () => null,
      (error: unknown) => error,
    );
    expect(isAppError(skipped) && skipped.code).toBe(ERROR_CODES.STORE_WRITE_SKIPPED);
    expect(await db.query('SELECT n FROM t ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('reports when the bulk step of a write is done, before the write ends', async () => {
    const seen: string[] = [];
    await db.writeSteps(
      [
        { kind: 'query', sql: 'INSERT INTO t (n, label) VALUES (20, $1)', params: ['twenty'], bulk: true },
        { kind: 'query', sql: 'INSERT INTO t (n, label) VALUES (21, $1)', params: ['twenty-one'] },
      ],
      { onBulkHalfway: () => seen.push('halfway') },
    );
    seen.push('done');
    expect(seen).toEqual(['halfway', 'done']);
  });

  it('brings back the SQLSTATE of a failed statement', async () => {
    const error = await db.query('SELECT * FROM missing_table').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: '42P01' });
    expect(toStoreError(error, 'read').code).not.toBe(ERROR_CODES.STORE_UNAVAILABLE);
  });
});

describe('embedded database client once closed', () => {
  it('refuses requests with a store error instead of hanging', async () => {
    const db = await openPgliteClient(MEMORY_DATA_DIR);
    await db.close();
    const error = await db.query('SELECT 1').then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAppError(error) && error.code).toBe(ERROR_CODES.STORE_UNAVAILABLE);
  });
});
