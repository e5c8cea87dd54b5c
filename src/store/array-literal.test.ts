import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textArrayLiteral } from './array-literal.ts';
import { MEMORY_DATA_DIR, openPgliteClient } from './pglite-client.ts';
import type { SqlClient } from './sql-client.ts';

describe('textArrayLiteral', () => {
  let db: SqlClient;
  beforeAll(async () => {
    db = await openPgliteClient(MEMORY_DATA_DIR);
  });
  afterAll(async () => {
    await db.close();
  });

  it('quotes every element and writes null as NULL', () => {
    expect(textArrayLiteral(['a', null, ''])).toBe('{"a",NULL,""}');
    expect(textArrayLiteral([])).toBe('{}');
  });

  it('reads back in PostgreSQL as exactly the values it was built from', async () => {
    const values = ['plain', 'with "quotes"', 'back\\slash \\" both', '{braces},commas', ' spaces ', 'NULL', 'null', '', null, 'é☎ 🙂', 'tab\tand\nnewline'];
    const [row] = await db.query<{ back: (string | null)[] }>('SELECT $1::text[] AS back', [textArrayLiteral(values)]);
    expect(row!.back).toEqual(values);
  });

  it('carries JSON texts into json[] unchanged', async () => {
    const texts = ['{"type":"ChannelCreated","channel":{"name":"PJSIP/100-00000001","caller":{"name":"A \\"B\\" C"}}}', '[1,"\\\\",null]'];
    const [row] = await db.query<{ back: string[] }>('SELECT array_agg(j::text) AS back FROM unnest($1::json[]) AS j', [textArrayLiteral(texts)]);
    expect(row!.back).toEqual(texts);
  });
});
