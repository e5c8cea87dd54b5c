import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

// The raw ceiling of durable event ingest on this machine: the same event rows the engine wrote,
// COPYed by themselves into an equivalent table (same columns, identity key and index), with no
// engine in front. Rows are read out first (not timed), then written in COPYs of ROWS_PER_COPY rows,
// each its own durable transaction.

const ROWS_PER_COPY = 100_000;
const COLUMNS = 'call_id, server, type, channel_id, received_at, payload';

async function readRows(client: pg.Client, sourceTable: string, rows: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  const stream = client.query(copyTo(`COPY (SELECT ${COLUMNS} FROM ${sourceTable} ORDER BY seq LIMIT ${rows}) TO STDOUT`));
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks;
}

/** Splits COPY text into pieces of at most `perPiece` rows (rows end in newlines; none embedded). */
function splitRows(chunks: Buffer[], perPiece: number): { pieces: Buffer[]; rows: number } {
  const all = Buffer.concat(chunks);
  const pieces: Buffer[] = [];
  let start = 0;
  let rows = 0;
  let inPiece = 0;
  for (let i = all.indexOf(10); i !== -1; i = all.indexOf(10, i + 1)) {
    rows++;
    if (++inPiece === perPiece) {
      pieces.push(all.subarray(start, i + 1));
      start = i + 1;
      inPiece = 0;
    }
  }
  if (start < all.length) pieces.push(all.subarray(start));
  return { pieces, rows };
}

export async function rawCopyRate(url: string, sourceTable: string, rows: number): Promise<{ rowsPerSec: number; rows: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE bench_raw_events (LIKE ${sourceTable} INCLUDING ALL)`);
    const { pieces, rows: total } = splitRows(await readRows(client, sourceTable, rows), ROWS_PER_COPY);
    await client.query('CHECKPOINT');
    const started = performance.now();
    for (const piece of pieces) {
      await pipeline(Readable.from([piece]), client.query(copyFrom(`COPY bench_raw_events (${COLUMNS}) FROM STDIN`)));
    }
    const seconds = (performance.now() - started) / 1000;
    await client.query('DROP TABLE bench_raw_events');
    return { rowsPerSec: total / seconds, rows: total };
  } finally {
    await client.end();
  }
}
