import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

// The raw ceiling of durable event ingest on this machine: the same event rows the engine wrote,
// COPYed by themselves into an equivalent table (same columns, identity key and index), with no
// engine in front, in both of PostgreSQL's COPY formats: text (the default, what a plain
// `COPY ... FROM STDIN` or psql's \copy sends) and binary (what the engine sends). Two ways:
//  - burst (rawCopyRates): pieces of ROWS_PER_COPY rows, each its own durable transaction into a fresh
//    table right after a CHECKPOINT; the two formats alternate piece by piece, so passing load on the
//    machine falls on both alike. A short burst into small, fresh indexes that never meets a checkpoint;
//  - sustained (sustainedCopyRates): every row the engine committed, one transaction per piece the size
//    of the engine's batches, one piece after another into one table, as the engine's run wrote them:
//    the table and its indexes grow to the run's size and checkpoints come as often as in the run.
// Rows are read out first (not timed).

const ROWS_PER_COPY = 100_000;
const COLUMNS = 'call_id, server, type, channel_id, received_at, payload';
const FORMATS = { text: '', binary: '(FORMAT binary)' } as const;
type Format = keyof typeof FORMATS;

export interface CopyRate {
  rowsPerSec: number;
  rows: number;
}

/** The event columns of the rows `from` (a FROM ... clause) selects, as COPY data in `format`. */
async function copyOut(client: pg.Client, from: string, format: Format): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyTo(`COPY (SELECT ${COLUMNS} ${from}) TO STDOUT ${FORMATS[format]}`))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function copyIn(client: pg.Client, table: string, data: Buffer, format: Format): Promise<void> {
  await pipeline(Readable.from([data]), client.query(copyFrom(`COPY ${table} (${COLUMNS}) FROM STDIN ${FORMATS[format]}`)));
}

/** Raw COPY rates of the first `rows` rows of `sourceTable` (whole pieces of ROWS_PER_COPY), per format. */
export async function rawCopyRates(url: string, sourceTable: string, rows: number): Promise<Record<Format, CopyRate>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const pieces = Math.max(1, Math.floor(rows / ROWS_PER_COPY));
  const totals: Record<Format, { rows: number; ms: number }> = { text: { rows: 0, ms: 0 }, binary: { rows: 0, ms: 0 } };
  try {
    for (const format of Object.keys(FORMATS) as Format[]) {
      await client.query(`CREATE TABLE bench_raw_${format} (LIKE ${sourceTable} INCLUDING ALL)`);
    }
    for (let piece = 0; piece < pieces; piece++) {
      const order: Format[] = piece % 2 === 0 ? ['text', 'binary'] : ['binary', 'text'];
      for (const format of order) {
        const data = await copyOut(client, `FROM ${sourceTable} ORDER BY seq LIMIT ${ROWS_PER_COPY} OFFSET ${piece * ROWS_PER_COPY}`, format);
        const [{ n } = { n: 0 }] = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${sourceTable} ORDER BY seq LIMIT ${ROWS_PER_COPY} OFFSET ${piece * ROWS_PER_COPY}) AS p`)).rows;
        await client.query('CHECKPOINT');
        const started = performance.now();
        await copyIn(client, `bench_raw_${format}`, data, format);
        totals[format].ms += performance.now() - started;
        totals[format].rows += n;
      }
    }
    for (const format of Object.keys(FORMATS) as Format[]) await client.query(`DROP TABLE bench_raw_${format}`);
  } finally {
    await client.end();
  }
  const rate = (t: { rows: number; ms: number }): CopyRate => ({ rowsPerSec: t.rows / (t.ms / 1000), rows: t.rows });
  return { text: rate(totals.text), binary: rate(totals.binary) };
}

/** Every row of `sourceTable` in seq order, in pieces of `pieceRows` rows, in one format (not timed). */
async function readAll(client: pg.Client, sourceTable: string, pieceRows: number, format: Format): Promise<{ data: Buffer; rows: number }[]> {
  const pieces: { data: Buffer; rows: number }[] = [];
  let after = 0;
  for (;;) {
    const range = `FROM ${sourceTable} WHERE seq > ${after} ORDER BY seq LIMIT ${pieceRows}`;
    const { rows } = await client.query<{ last: string | null; n: number }>(`SELECT max(seq)::text AS last, count(*)::int AS n FROM (SELECT seq ${range}) AS p`);
    const last = rows[0]?.last ?? null;
    if (last === null) return pieces;
    pieces.push({ data: await copyOut(client, range, format), rows: rows[0]!.n });
    after = Number(last);
  }
}

/**
 * Sustained raw COPY: every row of `sourceTable`, in transactions of `pieceRows` rows one after another into
 * one fresh equivalent table (see above), per format; rows/s over the whole copy.
 */
export async function sustainedCopyRates(url: string, sourceTable: string, pieceRows: number): Promise<Record<Format, CopyRate>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const out = {} as Record<Format, CopyRate>;
  try {
    for (const format of Object.keys(FORMATS) as Format[]) {
      // One format's pieces at a time: the whole run in memory once, not twice.
      let pieces = await readAll(client, sourceTable, pieceRows, format);
      const table = `bench_sustained_${format}`;
      await client.query(`CREATE TABLE ${table} (LIKE ${sourceTable} INCLUDING ALL)`);
      await client.query('CHECKPOINT');
      const started = performance.now();
      let rows = 0;
      for (const piece of pieces) {
        await client.query('BEGIN');
        await copyIn(client, table, piece.data, format);
        await client.query('COMMIT');
        rows += piece.rows;
      }
      const seconds = (performance.now() - started) / 1000;
      pieces = [];
      out[format] = { rowsPerSec: rows / seconds, rows };
      await client.query(`DROP TABLE ${table}`);
    }
  } finally {
    await client.end();
  }
  return out;
}
