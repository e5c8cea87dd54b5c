// The PostgreSQL ingest writer's thread (started by write-thread.ts). It owns one connection and runs
// each request, a list of prepared steps, as one transaction, one request at a time. Its event loop does
// nothing else, so a long COPY is fed as fast as the server reads it however busy the main thread is.
//
// Plain JavaScript: a worker thread does not share the TypeScript loader of the main thread.
//
// Request  { id, afterPrevious, steps: [{ kind: 'query', sql, params } | { kind: 'copy', sql, data: Uint8Array }] }
//          afterPrevious: run only if the request before it succeeded; else reply skipped without writing
// Progress { id, bulkHalfway: true } once half of the step marked bulk has gone to the server (a COPY's
//          data; a query's when it is done), before the request goes on
// Reply    { id, ok: true, buffers } | { id, ok: false, error: { message, code, name }, buffers }
//          | { id, ok: false, skipped: true, buffers }
//          buffers: the COPY data's own buffers, transferred back for reuse once the request is done
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

/** Pieces a COPY's data is fed in, so that how far the server has read it can be told. */
const COPY_PIECES = 8;

/** Feeds the data piece by piece; `halfway` runs once the first half has gone to the server. */
async function copy(conn, sql, data, halfway) {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const size = Math.ceil(bytes.length / COPY_PIECES);
  function* pieces() {
    for (let start = 0, n = 0; start < bytes.length; start += size, n++) {
      // Asked for the next piece only once the socket has taken the ones before it.
      if (n === COPY_PIECES / 2) halfway();
      yield bytes.subarray(start, start + size);
    }
  }
  await pipeline(Readable.from(pieces(), { objectMode: false, highWaterMark: 1 }), conn.query(copyFromStdin(sql)));
}

/** The buffers of the request's COPY data that were transferred here (none of Buffer's shared pool). */
function ownBuffers(request) {
  const buffers = [];
  for (const step of request.steps) {
    const buffer = step.kind === 'copy' ? step.data.buffer : null;
    if (buffer instanceof ArrayBuffer && buffer.byteLength > Buffer.poolSize && !buffers.includes(buffer)) buffers.push(buffer);
  }
  return buffers;
}

async function run(request) {
  const buffers = ownBuffers(request);
  if (request.afterPrevious && !lastOk) {
    parentPort.postMessage({ id: request.id, ok: false, skipped: true, buffers }, buffers);
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
      if (step.kind === 'copy') await copy(conn, step.sql, step.data, step.bulk ? halfway : () => undefined);
      else await conn.query(step.sql, step.params);
      if (step.bulk) halfway();
    }
    await conn.query('COMMIT');
    lastOk = true;
    parentPort.postMessage({ id: request.id, ok: true, buffers }, buffers);
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
      buffers,
    }, buffers);
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
