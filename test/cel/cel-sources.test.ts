import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCelLine, type CelRecord } from '../../src/cel/cel-record.ts';
import { boundedLines, jsonlCelSource } from '../../src/cel/jsonl-source.ts';
import { tableCelSource } from '../../src/cel/table-source.ts';
import { celSourceSchema } from '../../src/config/cel-schema.ts';
import { storeKinds, useTestStore } from '../support/test-store.ts';

// The two CEL sources read the same rows: cel_custom's JSON lines, and cel_pgsql's table (its columns as the
// module writes them, docs/asterisk-setup.md) in the engine's database, on both stores.

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'cel', 'answered.jsonl');
const lines = readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l.trim() !== '');
const rows = lines.map(parseCelLine) as CelRecord[];
const everything = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, maxRows: 1_000 };
const noInvalid = (where: string, message: string) => expect.fail(`${where}: ${message}`);

const CEL_PGSQL_TABLE = `CREATE TABLE cel (
  id serial PRIMARY KEY, eventtype varchar(30) NOT NULL, eventtime timestamp NOT NULL, userdeftype varchar(255) NOT NULL,
  cid_name varchar(80) NOT NULL, cid_num varchar(80) NOT NULL, cid_ani varchar(80) NOT NULL, cid_rdnis varchar(80) NOT NULL,
  cid_dnid varchar(80) NOT NULL, exten varchar(80) NOT NULL, context varchar(80) NOT NULL, channame varchar(80) NOT NULL,
  appname varchar(80) NOT NULL, appdata varchar(80) NOT NULL, accountcode varchar(20) NOT NULL, peeraccount varchar(20) NOT NULL,
  uniqueid varchar(150) NOT NULL, linkedid varchar(150) NOT NULL, amaflags int NOT NULL, userfield varchar(255) NOT NULL,
  peer varchar(80) NOT NULL, extra varchar(512) NOT NULL)`;

describe('cel_custom JSON lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-celsrc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the rows of a window, counts broken lines and keeps the rest, and stops at maxRows', async () => {
    const file = join(dir, 'cel.jsonl');
    writeFileSync(file, [lines[0], '{broken', '', lines[1], `{"eventtype":"${'X'.repeat(20_000)}"}`, ...lines.slice(2)].join('\r\n'));
    const invalid: string[] = [];
    const all = await jsonlCelSource(file).read(everything, (where) => invalid.push(where));
    expect(all.rows).toEqual(rows);
    expect({ invalid: all.invalid, truncated: all.truncated }).toEqual({ invalid: 2, truncated: false });
    expect(invalid).toEqual([`${file}:2`, `${file}:5`]);

    const answerAt = rows.find((r) => r.eventType === 'ANSWER')!.atMs;
    const window = await jsonlCelSource(file).read({ fromMs: answerAt, toMs: answerAt, maxRows: 10 }, () => undefined);
    expect(window.rows.map((r) => r.eventType)).toEqual(['ANSWER', 'ANSWER', 'ANSWER']);
    const cut = await jsonlCelSource(file).read({ ...everything, maxRows: 4 }, () => undefined);
    expect({ rows: cut.rows.length, truncated: cut.truncated }).toEqual({ rows: 4, truncated: true });
  });

  it('says when the file cannot be read', async () => {
    await expect(jsonlCelSource(join(dir, 'missing.jsonl')).read(everything, noInvalid)).rejects.toMatchObject({ code: 'CF_CEL_UNAVAILABLE' });
  });
});

describe('CEL source configuration', () => {
  it('takes exactly one of jsonl or table, and only a plain table name', () => {
    expect(celSourceSchema.parse({ jsonl: '/var/log/asterisk/cel-custom/cel.jsonl' })).toMatchObject({ marginMs: 60_000, maxRows: 500_000 });
    expect(celSourceSchema.parse({ table: 'asterisk.cel' }).table).toBe('asterisk.cel');
    expect(celSourceSchema.safeParse({}).success).toBe(false);
    expect(celSourceSchema.safeParse({ jsonl: 'a', table: 'cel' }).success).toBe(false);
    expect(celSourceSchema.safeParse({ table: 'cel; DROP TABLE calls' }).success).toBe(false);
  });
});

describe.each(storeKinds())("cel_pgsql's table (%s)", (kind) => {
  const db = useTestStore(kind);

  it('reads the same rows as the JSON lines, in the window', async () => {
    const { sql } = db().store;
    await sql.exec(CEL_PGSQL_TABLE);
    for (const l of lines) {
      const r = JSON.parse(l) as Record<string, string | number>;
      // cel_pgsql with usegmtime = yes: UTC, microseconds, no zone.
      const eventtime = new Date(Math.floor((r.eventtime as number) * 1000)).toISOString().slice(0, 19).replace('T', ' ') + (((r.eventtime as number) % 1).toFixed(6).slice(1));
      await sql.query(
        `INSERT INTO cel (eventtype, eventtime, userdeftype, cid_name, cid_num, cid_ani, cid_rdnis, cid_dnid, exten, context, channame, appname, appdata,
                          accountcode, peeraccount, uniqueid, linkedid, amaflags, userfield, peer, extra)
         VALUES ($1, $2::timestamp, '', $3, $4, '', '', '', $5, $6, $7, $8, $9, '', '', $10, $11, 3, '', $12, $13)`,
        [r.eventtype, eventtime, r.name, r.num, r.exten, r.context, r.channame, r.appname, r.appdata, r.uniqueid, r.linkedid, r.peer, r.eventextra],
      );
    }
    const read = await tableCelSource(sql, 'cel').read(everything, noInvalid);
    // In time order (the file is in the order Asterisk wrote it, which can differ by microseconds).
    const key = (r: CelRecord) => `${r.uniqueId} ${r.eventType}`;
    const byKey = (a: CelRecord, b: CelRecord) => key(a).localeCompare(key(b));
    const got = [...read.rows].sort(byKey);
    const want = [...rows].sort(byKey);
    expect(got.map((r) => ({ ...r, atMs: 0 }))).toEqual(want.map((r) => ({ ...r, atMs: 0 })));
    got.forEach((r, i) => expect(Math.abs(r.atMs - want[i]!.atMs)).toBeLessThanOrEqual(1));
    // The second between the channels' start and the hangup holds three answers and two bridge entries.
    const answerAt = rows.find((r) => r.eventType === 'ANSWER')!.atMs;
    const window = await tableCelSource(sql, 'cel').read({ fromMs: answerAt - 500, toMs: answerAt + 500, maxRows: 4 }, noInvalid);
    expect({ types: window.rows.map((r) => r.eventType), truncated: window.truncated }).toEqual({ types: ['ANSWER', 'ANSWER', 'ANSWER', 'BRIDGE_ENTER'], truncated: true });
    await expect(tableCelSource(sql, 'no_such_cel').read(everything, noInvalid)).rejects.toMatchObject({ code: 'CF_CEL_UNAVAILABLE' });
  });
});

describe('lines of a CEL file', () => {
  async function* chunks(...parts: string[]): AsyncGenerator<string> {
    yield* parts;
  }
  const all = async (it: AsyncIterable<unknown>) => {
    const out: unknown[] = [];
    for await (const x of it) out.push(x);
    return out;
  };

  it('splits across chunks, and drops a line over the bound without holding it', async () => {
    expect(await all(boundedLines(chunks('ab', 'c\r\nde', 'f\n', 'last'), 5))).toEqual([{ text: 'abc' }, { text: 'def' }, { text: 'last' }]);
    expect(await all(boundedLines(chunks('12345', '67', '89\nok\n', 'x'.repeat(9)), 5))).toEqual([{ tooLong: true }, { text: 'ok' }, { tooLong: true }]);
    expect(await all(boundedLines(chunks('123456789\n'), 5))).toEqual([{ tooLong: true }]);
    expect(await all(boundedLines(chunks('12345\n'), 5))).toEqual([{ text: '12345' }]);
  });
});
