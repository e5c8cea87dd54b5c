import { describe, expect, it } from 'vitest';
import { BinaryCopy } from './copy-binary.ts';

// An independent reader of PostgreSQL's binary COPY format, enough to check what the builder wrote.
function readRows(data: Uint8Array): (Buffer | null)[][] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
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
    const copy = new BinaryCopy(0);
    copy.row(5);
    copy.text('Zoë ☎ tab\there \\ "q"\n');
    copy.text(null);
    copy.bytes(new Uint8Array(Buffer.from('{"type":"Dial"}', 'utf8')));
    copy.timestampIso('2000-01-01T00:00:00.000Z');
    copy.timestampIso('2026-11-21T04:11:05.678Z');
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

  it('grows past its estimate and keeps a buffer of its own, never the shared pool', () => {
    const copy = new BinaryCopy(10);
    const text = `${'x'.repeat(1000)}é`;
    for (let i = 0; i < 100; i++) {
      copy.row(1);
      copy.text(text);
    }
    const data = copy.finish();
    const rows = readRows(data);
    expect(rows).toHaveLength(100);
    expect(rows.every((row) => row[0]!.toString('utf8') === text)).toBe(true);
    expect(data.buffer.byteLength).toBeGreaterThan(Buffer.poolSize);
  });

  it('refuses a time that is not an ISO-8601 instant', () => {
    const copy = new BinaryCopy(0);
    copy.row(1);
    expect(() => copy.timestampIso('yesterday')).toThrow(RangeError);
  });
});
