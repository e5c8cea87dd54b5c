// The PostgreSQL ingest writer's thread (started by write-thread.ts). It owns one connection and runs
// each request, a list of prepared steps, as one transaction, one request at a time. Its event loop does
// nothing else, so a long COPY is fed as fast as the server reads it however busy the main thread is.
//
// Plain JavaScript: a worker thread does not share the TypeScript loader of the main thread.
//
// Request  { id, afterPrevious, steps: [{ kind: 'query', sql, params } | { kind: 'copy', sql, chunks: Uint8Array[] }] }
//          afterPrevious: run only if the request before it succeeded; else reply skipped without writing;
//          a COPY's chunks are views of shared memory the sender keeps unchanged until the reply
// Progress { id, began: { xid, pid } } once the transaction is open: its id and the server process running it
// Progress { id, commitUnknown: message } when COMMIT failed and the thread asks how it ended (below)
// Progress { id, bulkHalfway: true } once half of the step marked bulk has gone to the server (a COPY's
//          data; a query's when it is done), before the request goes on
// Reply    { id, ok: true } | { id, ok: false, error: { message, code, name } } | { id, ok: false, skipped: true }
// Request  { id, check: { xid, pid } } asks how a transaction whose COMMIT got no answer ended (the thread
//          that sent it died): replies ok if it committed, an error if it did not
// Request  { close: true } ends the connection; the thread then exits by itself.
//
// A COMMIT that fails because the connection broke may have committed or not, and writing the batch again
// could then store its events twice. So unless the server answered with an error that means the
// transaction was rolled back, the thread asks the server, on a new connection, how the transaction ended
// (txid_status), ending its old server process if that still runs it.

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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether a failed COMMIT surely did not commit: the server answered with an SQLSTATE, other than a
 * connection exception (08), operator intervention (57: a process told to stop may have committed before
 * it says so) or an internal error (XX).
 */
function surelyRolledBack(err) {
  const code = /** @type {{ code?: unknown }} */ (err ?? {}).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57|XX)/.test(code);
}

/**
 * How the transaction `xid`, run by server process `pid`, ended: 'committed' or 'aborted'. While the server
 * cannot be reached it asks again, up to a second apart; the answer decides whether the batch is written
 * again, and a wrong guess either way would lose or duplicate it.
 */
async function outcomeOf(xid, pid) {
  for (let attempt = 0; ; attempt++) {
    let conn = null;
    try {
      conn = await connection();
      const { rows } = await conn.query('SELECT txid_status($1::bigint) AS status', [xid]);
      const status = rows[0]?.status ?? null;
      if (status === 'committed') return 'committed';
      // null: too old for the server to know, which no transaction of seconds ago is; aborted either way.
      if (status === 'aborted' || status === null) return 'aborted';
      // Still in progress: its server process has not seen the connection break yet. Once ended it aborts,
      // unless its COMMIT was already under way, which then completes first. Only that process, and only
      // while it holds this transaction (pg_stat_activity shows the 32-bit xid without its epoch).
      await conn.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE pid = $1 AND backend_xid::text = ($2::bigint % 4294967296)::text`,
        [pid, xid],
      );
    } catch {
      if (conn) drop(conn);
    }
    await sleep(Math.min(1_000, 20 * 2 ** attempt));
  }
}

function messageOf(err) {
  const message = /** @type {{ message?: unknown }} */ (err ?? {}).message;
  return typeof message === 'string' ? message : String(err);
}

function replyError(id, err) {
  const e = /** @type {{ message?: unknown, code?: unknown, name?: unknown }} */ (err ?? {});
  parentPort.postMessage({
    id,
    ok: false,
    error: {
      message: messageOf(err),
      code: typeof e.code === 'string' ? e.code : undefined,
      name: typeof e.name === 'string' ? e.name : 'Error',
    },
  });
}

async function check(request) {
  const outcome = await outcomeOf(request.check.xid, request.check.pid);
  lastOk = outcome === 'committed';
  if (lastOk) parentPort.postMessage({ id: request.id, ok: true });
  else replyError(request.id, new Error('connection terminated: the database writer thread ended before its write committed'));
}

async function run(request) {
  if (request.check) return check(request);
  if (request.afterPrevious && !lastOk) {
    parentPort.postMessage({ id: request.id, ok: false, skipped: true });
    return;
  }
  lastOk = false;
  let conn = null;
  let open = false;
  /** @type {{ xid: string, pid: number } | null} */
  let began = null;
  let committing = false;
  try {
    conn = await connection();
    // One round trip: the transaction opens and takes its id, which tells later how it ended. The server
    // names its process itself (a pooler in between may hand out process ids of its own).
    const opened = await conn.query('BEGIN; SELECT txid_current()::text AS xid, pg_backend_pid() AS pid');
    open = true;
    began = { xid: opened[1].rows[0].xid, pid: opened[1].rows[0].pid };
    parentPort.postMessage({ id: request.id, began });
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
    committing = true;
    await conn.query('COMMIT');
    lastOk = true;
    parentPort.postMessage({ id: request.id, ok: true });
  } catch (err) {
    if (committing && began && !surelyRolledBack(err)) {
      // No answer to COMMIT: the server decides whether this write is durable.
      drop(conn);
      parentPort.postMessage({ id: request.id, commitUnknown: messageOf(err) });
      if ((await outcomeOf(began.xid, began.pid)) === 'committed') {
        lastOk = true;
        parentPort.postMessage({ id: request.id, ok: true });
        return;
      }
    } else if (conn && open) await conn.query('ROLLBACK').catch(() => drop(conn));
    else if (conn) drop(conn);
    replyError(request.id, err);
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
