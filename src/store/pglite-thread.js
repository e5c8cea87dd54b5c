// The embedded database's thread (started by pglite-client.ts). PGlite runs PostgreSQL compiled to
// WebAssembly on the thread that calls it, synchronously; here that is a thread of its own, so the main
// thread goes on reading events and answering the API while the database works, and the engine uses both
// cores instead of one.
//
// Plain JavaScript: a worker thread does not share the TypeScript loader of the main thread.
//
// Requests run one at a time, in the order they arrive:
//   { id, op: 'query', sql, params }      → { id, ok: true, rows }
//   { id, op: 'exec', sql }               → { id, ok: true }
//   { id, op: 'write', steps, afterPrevious }
//       steps: [{ kind: 'query', sql, params, bulk? }], run in one transaction; afterPrevious: run only if
//       the write before it succeeded, else reply { id, ok: false, skipped: true } without writing.
//       Progress { id, bulkHalfway: true } once the step marked bulk (a batch's events) is done.
//   { id, op: 'close' }                   → { id, ok: true }; the thread then ends by itself
// A failure replies { id, ok: false, error: { message, code, name } }.
// The thread first answers { ready: true } once the database is open, or { ready: false, error }.

import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** @type {PGlite} */
let db;
/** Requests wait for the database to open, then for each other. */
let tail = PGlite.create(workerData.dataDir).then(
  (opened) => {
    db = opened;
    parentPort.postMessage({ ready: true });
  },
  (err) => {
    parentPort.postMessage({ ready: false, error: errorOf(err) });
    parentPort.close();
  },
);
/** Whether the last write succeeded (a skipped one did not). */
let lastWriteOk = true;

function errorOf(err) {
  const e = /** @type {{ message?: unknown, code?: unknown, name?: unknown }} */ (err ?? {});
  return {
    message: typeof e.message === 'string' ? e.message : String(err),
    code: typeof e.code === 'string' ? e.code : undefined,
    name: typeof e.name === 'string' ? e.name : 'Error',
  };
}

async function write(request) {
  if (request.afterPrevious && !lastWriteOk) return { id: request.id, ok: false, skipped: true };
  lastWriteOk = false;
  await db.transaction(async (tx) => {
    for (const step of request.steps) {
      if (step.kind !== 'query') throw new Error('the embedded database takes no COPY steps');
      await tx.query(step.sql, step.params);
      if (step.bulk) parentPort.postMessage({ id: request.id, bulkHalfway: true });
    }
  });
  lastWriteOk = true;
  return { id: request.id, ok: true };
}

async function run(request) {
  switch (request.op) {
    case 'query':
      return { id: request.id, ok: true, rows: (await db.query(request.sql, request.params)).rows };
    case 'exec':
      await db.exec(request.sql);
      return { id: request.id, ok: true };
    case 'write':
      return write(request);
    case 'close':
      if (!db.closed) await db.close();
      return { id: request.id, ok: true };
    default:
      throw new Error(`unknown request ${String(request.op)}`);
  }
}

parentPort.on('message', (request) => {
  tail = tail.then(async () => {
    let reply;
    try {
      reply = await run(request);
    } catch (err) {
      reply = { id: request.id, ok: false, error: errorOf(err) };
    }
    parentPort.postMessage(reply);
    if (request.op === 'close') parentPort.close();
  });
});
