import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpillLog } from './spill-log.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spill-'));
  dirs.push(dir);
  return dir;
}

const text = (records: { payload: Buffer }[]) => records.map((r) => r.payload.toString());

describe('SpillLog', () => {
  it('gives records back in order, across segments, with their numbers', () => {
    const log = new SpillLog({ dir: tempDir(), maxBytes: 1 << 20, segmentBytes: 64 });
    for (let i = 0; i < 20; i++) expect(log.append(Buffer.from(`event-${i}`))).toBe(i + 1);
    expect(log.unread).toBe(20);
    const first = log.read(7);
    expect(first.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(text(log.read(100))).toEqual(Array.from({ length: 13 }, (_, i) => `event-${i + 7}`));
    expect(log.unread).toBe(0);
    expect(log.read(5)).toEqual([]);
    log.close();
  });

  it('keeps what was not consumed across a restart, and cuts a torn last record off', () => {
    const dir = tempDir();
    const log = new SpillLog({ dir, maxBytes: 1 << 20, segmentBytes: 100 });
    for (let i = 1; i <= 10; i++) log.append(Buffer.from(`e${i}`));
    log.read(10);
    // Stored through 4: segments holding only 1-4 go; a restart reads from the first segment still kept.
    log.consumedThrough(4);
    log.close();
    const segments = readdirSync(dir).sort();
    appendFileSync(join(dir, segments[segments.length - 1]!), Buffer.from([9, 0, 0]));

    const again = new SpillLog({ dir, maxBytes: 1 << 20, segmentBytes: 100 });
    const records = again.read(100);
    expect(records[records.length - 1]!.seq).toBe(10);
    expect(records[0]!.seq).toBeLessThanOrEqual(5);
    expect(records.filter((r) => r.seq > 4).map((r) => r.payload.toString())).toEqual(['e5', 'e6', 'e7', 'e8', 'e9', 'e10']);
    // Appends continue after the last whole record, numbered on.
    expect(again.append(Buffer.from('e11'))).toBe(11);
    expect(text(again.read(5))).toEqual(['e11']);
    again.close();
  });

  it('refuses an append past its size, and takes appends again once records are consumed', () => {
    const log = new SpillLog({ dir: tempDir(), maxBytes: 200, segmentBytes: 64 });
    const payload = Buffer.alloc(30, 'x');
    let accepted = 0;
    while (log.append(payload) !== null) accepted++;
    expect(accepted).toBe(Math.floor(200 / (30 + 12)));
    expect(log.bytes).toBeLessThanOrEqual(200);
    const read = log.read(100);
    log.consumedThrough(read[read.length - 1]!.seq);
    expect(log.bytes).toBe(0);
    expect(log.append(payload)).not.toBeNull();
    log.close();
  });

  it('starts numbering above what a previous run stored when it holds nothing', () => {
    const log = new SpillLog({ dir: tempDir(), maxBytes: 1 << 20 });
    log.startAt(500);
    expect(log.append(Buffer.from('a'))).toBe(500);
    expect(log.read(1)[0]!.seq).toBe(500);
    log.close();
  });

  it('reads records that straddle its read chunks, and records larger than a chunk, whole and in order', () => {
    const log = new SpillLog({ dir: tempDir(), maxBytes: 64 << 20 });
    // 1 MiB chunks: records of 300,001 bytes never line up with them, and one of 3 MiB spans several.
    const sizes = [300_001, 300_001, 300_001, 300_001, 3 << 20, 17, 300_001];
    sizes.forEach((size, i) => log.append(Buffer.alloc(size, 97 + i)));
    const got = [...log.read(3), ...log.read(100)];
    expect(got.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    got.forEach((r, i) => {
      expect(r.payload.length).toBe(sizes[i]);
      expect(r.payload.every((b) => b === 97 + i)).toBe(true);
    });
    log.close();
  });

  it('reads what it has not yet made durable, and appends after a read land after what was read', () => {
    const log = new SpillLog({ dir: tempDir(), maxBytes: 1 << 20, groupMs: 60_000, groupBytes: 1 << 30 });
    log.append(Buffer.from('a'));
    expect(text(log.read(10))).toEqual(['a']);
    log.append(Buffer.from('b'));
    log.append(Buffer.from('c'));
    expect(text(log.read(10))).toEqual(['b', 'c']);
    log.close();
  });

  it('writes a record given in pieces as one, also when a group fills several staging buffers', () => {
    const log = new SpillLog({ dir: tempDir(), maxBytes: 64 << 20, groupMs: 60_000, groupBytes: 1 << 30 });
    // 3,000 records of three pieces each in one group, and one record larger than a staging buffer.
    for (let i = 0; i < 3_000; i++) log.append(Buffer.from(`head-${i}|`), Buffer.from('body|'), new Uint8Array([0x41 + (i % 26)]));
    log.append(Buffer.alloc(600 * 1024, 'z'));
    const back = text(log.read(10_000));
    expect(back).toHaveLength(3_001);
    back.slice(0, 3_000).forEach((record, i) => expect(record).toBe(`head-${i}|body|${String.fromCharCode(0x41 + (i % 26))}`));
    expect(back[3_000]).toBe('z'.repeat(600 * 1024));
    log.close();
  });

  it('copies what it is given: a buffer changed after its append does not change the record', () => {
    const log = new SpillLog({ dir: tempDir(), maxBytes: 1 << 20, groupMs: 60_000 });
    const scratch = Buffer.from('first');
    log.append(scratch);
    scratch.write('later');
    log.append(scratch);
    expect(text(log.read(10))).toEqual(['first', 'later']);
    log.close();
  });
});
