// The PostgreSQL ingest writer's thread (started by write-thread.ts). It owns one connection and runs
// each request, a list of prepared steps, as one transaction, one request at a time. Its event loop does
// nothing else, so a long COPY is fed as fast as the server reads it however busy the main thread is.
//
// Plain JavaScript: a worker thread does not share the TypeScript loader of the main thread.
//
// Request  { id, afterPrevious, steps: [{ kind: 'query', sql, params } | { kind: 'copy', sql, chunks: Uint8Array[] }] }
//          afterPrevious: run only if the request before it succeeded; else reply skipped without writing;
//          a COPY's chunks are views of shared memory the sender keeps unchanged until the reply
// Progress { id, bulkHalfway: true } once half of the step marked bulk has gone to the server (a COPY's
//          data; a query's when it is done), before the request goes on
// Reply    { id, ok: true } | { id, ok: false, error: { message, code, name } } | { id, ok: false, skipped: true }
// Request  { close: true } ends the connection; the thread then exits by itself.

import { parentPort, workerData } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';

/** @type {pg.Client | null} */
let client = null;
let tail = Promise.resolve();
/** Whether the last request succeeded (a skipped one did not). */
let lastOk = true;

async function connection() {
  if (client) return client;
  const fresh = new pg.Client({
    connectionString: workerData.url,
    connectionTimeoutMillis: workerData.connectTimeoutMs,
    application_name: 'callflow-writer',
  });
  // A broken connection is dropped; the next request opens a new one.
  fresh.on('error', () => {
    if (client === fresh) client = null;
  });
  await fresh.connect();
  client = fresh;
  return fresh;
}

function drop(conn) {
  if (client === conn) client = null;
  conn.end().catch(() => undefined);
}

/**
 * Feeds the data chunk by chunk, each asked for only once the socket has taken the ones before it; `halfway`
 * runs once the first half of the chunks has gone to the server.
 */
async function copy(conn, sql, chunks, halfway) {
  function* pieces() {
    for (let n = 0; n < chunks.length; n++) {
      if (n === Math.ceil(chunks.length / 2) && n > 0) halfway();
      const chunk = chunks[n];
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  }
  await pipeline(Readable.from(pieces(), { objectMode: false, highWaterMark: 1 }), conn.query(copyFromStdin(sql)));
}

async function run(request) {
  if (request.afterPrevious && !lastOk) {
    parentPort.postMessage({ id: request.id, ok: false, skipped: true });
    return;
  }
  lastOk = false;
  let conn = null;
  let open = false;
  try {
    conn = await connection();
    await conn.query('BEGIN');
    open = true;
    let reported = false;
    const halfway = () => {
      if (!reported) parentPort.postMessage({ id: request.id, bulkHalfway: true });
      reported = true;
    };
    for (const step of request.steps) {
      if (step.kind === 'copy') await copy(conn, step.sql, step.chunks, step.bulk ? halfway : () => undefined);
      else await conn.query(step.sql, step.params);
      if (step.bulk) halfway();
    }
    await conn.query('COMMIT');
    lastOk = true;
    parentPort.postMessage({ id: request.id, ok: true });
  } catch (err) {
    if (conn && open) await conn.query('ROLLBACK').catch(() => drop(conn));
    else if (conn) drop(conn);
    const e = /** @type {{ message?: unknown, code?: unknown, name?: unknown }} */ (err ?? {});
    parentPort.postMessage({
      id: request.id,
      ok: false,
      error: {
        message: typeof e.message === 'string' ? e.message : String(err),
        code: typeof e.code === 'string' ? e.code : undefined,
        name: typeof e.name === 'string' ? e.name : 'Error',
      },
    });
  }
}

parentPort.on('message', (request) => {
  if (request.close) {
    tail = tail.then(async () => {
      const conn = client;
      client = null;
      if (conn) await conn.end().catch(() => undefined);
      parentPort.close();
    });
    return;
  }
  tail = tail.then(() => run(request));
});
