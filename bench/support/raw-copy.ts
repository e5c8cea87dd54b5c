import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

// The raw ceiling of durable event ingest on this machine: the same event rows the engine wrote,
// COPYed by themselves into an equivalent table (same columns, identity key and index), with no
// engine in front. Rows are read out first (not timed), then written in COPYs of ROWS_PER_COPY rows,
// each its own durable transaction, in both of PostgreSQL's COPY formats: text (the default, what a
// plain `COPY ... FROM STDIN` or psql's \copy sends) and binary (what the engine sends). The two
// alternate piece by piece, each into a fresh table of its own, so passing load on the machine
// falls on both alike.

const ROWS_PER_COPY = 100_000;
const COLUMNS = 'call_id, server, type, channel_id, received_at, payload';
const FORMATS = { text: '', binary: '(FORMAT binary)' } as const;
type Format = keyof typeof FORMATS;

export interface CopyRate {
  rowsPerSec: number;
  rows: number;
}

async function readPiece(client: pg.Client, sourceTable: string, offset: number, format: Format): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const select = `SELECT ${COLUMNS} FROM ${sourceTable} ORDER BY seq LIMIT ${ROWS_PER_COPY} OFFSET ${offset}`;
  for await (const chunk of client.query(copyTo(`COPY (${select}) TO STDOUT ${FORMATS[format]}`))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
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
        const data = await readPiece(client, sourceTable, piece * ROWS_PER_COPY, format);
        const [{ n } = { n: 0 }] = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${sourceTable} ORDER BY seq LIMIT ${ROWS_PER_COPY} OFFSET ${piece * ROWS_PER_COPY}) AS p`)).rows;
        await client.query('CHECKPOINT');
        const started = performance.now();
        await pipeline(Readable.from([data]), client.query(copyFrom(`COPY bench_raw_${format} (${COLUMNS}) FROM STDIN ${FORMATS[format]}`)));
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
