import { describe, expect, it } from 'vitest';
import { BinaryCopy, readCopyRows } from './copy-binary.ts';
import { CHUNK_BYTES, giveBackChunks, spareChunkBytes, takeChunk } from './copy-chunks.ts';
import { eventCopyOf } from './event-copy.ts';
import { makeEventRow } from '../../test/support/call-factory.ts';

// An independent reader of PostgreSQL's binary COPY format, enough to check what the builder wrote: it
// reads the chunks joined, as the server receives them.
function readRows(chunks: readonly Uint8Array[]): (Buffer | null)[][] {
  const buf = Buffer.concat(chunks);
  expect(buf.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
  expect(buf.readInt32BE(11)).toBe(0);
  let at = 15 + 4 + buf.readInt32BE(15);
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const fields = buf.readInt16BE(at);
    at += 2;
    if (fields === -1) break;
    const row: (Buffer | null)[] = [];
    for (let i = 0; i < fields; i++) {
      const length = buf.readInt32BE(at);
      at += 4;
      row.push(length === -1 ? null : buf.subarray(at, at + length));
      if (length > 0) at += length;
    }
    rows.push(row);
  }
  expect(at).toBe(buf.length);
  return rows;
}

const micros = (field: Buffer | null): bigint => field!.readBigInt64BE(0);

describe('BinaryCopy', () => {
  it('writes text, bytes, NULL and timestamps as PostgreSQL reads them', () => {
    const copy = new BinaryCopy();
    copy.row(5);
    copy.text('Zoë ☎ tab\there \\ "q"\n');
    copy.text(null);
    copy.bytes(new Uint8Array(Buffer.from('{"type":"Dial"}', 'utf8')));
    copy.timestampMs(Date.parse('2000-01-01T00:00:00.000Z'));
    copy.timestampMs(Date.parse('2026-11-21T04:11:05.678Z'));
    copy.row(2);
    copy.text('nul\0gone');
    copy.timestampMs(Date.parse('1999-12-31T23:59:59.999Z'));
    const [first, second] = readRows(copy.finish());
    expect(first![0]!.toString('utf8')).toBe('Zoë ☎ tab\there \\ "q"\n');
    expect(first![1]).toBeNull();
    expect(first![2]!.toString('utf8')).toBe('{"type":"Dial"}');
    expect(micros(first![3]!)).toBe(0n);
    expect(micros(first![4]!)).toBe(BigInt(Date.parse('2026-11-21T04:11:05.678Z') - 946_684_800_000) * 1000n);
    expect(second![0]!.toString('utf8')).toBe('nulgone');
    expect(micros(second![1]!)).toBe(-1000n);
  });

  it('spreads rows over chunks of shared memory without splitting a field, a field larger than a chunk in one of its own', () => {
    const copy = new BinaryCopy();
    const text = `${'x'.repeat(1000)}é`;
    const huge = 'y'.repeat(CHUNK_BYTES + 10);
    for (let i = 0; i < 3000; i++) {
      copy.row(2);
      copy.text(text);
      copy.text(i === 1500 ? huge : String(i));
    }
    const chunks = copy.finish();
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.every((c) => c.buffer instanceof SharedArrayBuffer && c.byteLength > 0)).toBe(true);
    const rows = readRows(chunks);
    expect(rows).toHaveLength(3000);
    expect(rows.every((row) => row[0]!.toString('utf8') === text)).toBe(true);
    expect(rows[1500]![1]!.toString('utf8')).toBe(huge);
    expect(rows[2999]![1]!.toString('utf8')).toBe('2999');
    // Read back chunk by chunk, as a rewrite does: the same rows.
    const again: string[] = [];
    readCopyRows(chunks, (fields) => again.push(Buffer.from(fields[1]!).toString('utf8')));
    expect(again).toEqual(rows.map((row) => row[1]!.toString('utf8')));
    giveBackChunks(chunks);
  });
});

describe('eventCopyOf', () => {
  it('refuses an event row whose time is not an ISO-8601 instant', () => {
    const row = (receivedAt: string) => makeEventRow({ callId: 'c1', receivedAt });
    expect(() => eventCopyOf([row('2026-11-21T04:11:05.678Z'), row('yesterday')], false)).toThrow(RangeError);
  });
});

describe('copy chunks', () => {
  it('keeps chunks given back for the next batch, each once, but not an oversized one', () => {
    while (spareChunkBytes() > 0) takeChunk();
    const a = takeChunk();
    const big = takeChunk(CHUNK_BYTES * 2);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(big.length).toBe(CHUNK_BYTES * 2);
    giveBackChunks([a, a.subarray(0, 10), big]);
    expect(spareChunkBytes()).toBe(CHUNK_BYTES);
    expect(takeChunk().buffer).toBe(a.buffer);
    expect(spareChunkBytes()).toBe(0);
  });
});
