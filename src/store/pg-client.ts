import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import type { SqlClient } from './sql-client.ts';
import { WriteThread } from './write-thread.ts';

// SqlClient over a node-postgres pool; ingest writes go through a connection on a thread of their own
// (write-thread.ts).

const INT8_OID = 20;

// Per-pool parsers, so other pg users in the process keep the library defaults.
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PgClientOptions {
  url: string;
  poolSize: number;
  /** Errors of idle pooled connections (server restart, network drop); the pool replaces them. */
  onIdleError?: (err: Error) => void;
  connectTimeoutMs?: number;
}

export function createPgClient(options: PgClientOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    types: typeParsers,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'callflow',
  });
  // Without a listener an idle connection's error would crash the process.
  pool.on('error', (err) => options.onIdleError?.(err));

  const writer = new WriteThread({ url: options.url, connectTimeoutMs: options.connectTimeoutMs ?? 10_000 });

  const client: SqlClient = {
    ...statementsOn(pool),
    async transaction(fn) {
      const conn = await pool.connect();
      let broken: Error | undefined;
      try {
        await conn.query('BEGIN');
        const result = await fn(connectionClient(conn));
        await conn.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await conn.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is unusable; the pool must discard it rather than hand it out again.
          broken = rollbackErr as Error;
        }
        throw err;
      } finally {
        conn.release(broken);
      }
    },
    writeSteps: (steps, options) => writer.run(steps, options),
    async close() {
      await Promise.all([writer.close(), pool.end()]);
    },
  };
  return client;
}

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
}

function statementsOn(target: Queryable): Pick<SqlClient, 'dialect' | 'query' | 'exec'> {
  return {
    dialect: 'postgres',
    async query<T extends object>(sql: string, params?: readonly unknown[]) {
      const result = await target.query(sql, params as unknown[] | undefined);
      return result.rows as T[];
    },
    async exec(sql) {
      await target.query(sql);
    },
  };
}

/** A client bound to one connection inside an open transaction. */
function connectionClient(conn: pg.PoolClient): SqlClient {
  const self: SqlClient = {
    ...statementsOn(conn),
    transaction: (fn) => fn(self),
    async writeSteps(steps) {
      for (const step of steps) {
        if (step.kind === 'copy') await copyOn(conn, step.sql, step.chunks);
        else await conn.query(step.sql, step.params as unknown[]);
      }
    },
    async close() {},
  };
  return self;
}

async function copyOn(conn: pg.PoolClient, copySql: string, chunks: readonly Uint8Array[]): Promise<void> {
  const stream = conn.query(copyFromStdin(copySql));
  await pipeline(Readable.from(chunks.map((chunk) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))), stream);
}
