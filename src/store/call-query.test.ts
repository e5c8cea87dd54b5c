import { describe, expect, it } from 'vitest';
import { callFilterSql, checkPageSize, decodeCursor, encodeCursor, escapeLike, whereClause } from './call-query.ts';

describe('callFilterSql', () => {
  it('builds numbered conditions for every filter field', () => {
    const params: unknown[] = ['already'];
    const where = callFilterSql(
      {
        status: ['finished'],
        disposition: ['busy'],
        direction: ['inbound', 'outbound'],
        server: 'pbx1',
        number: '+49_1',
        since: '2026-11-21T05:00:00+01:00',
        until: '2026-11-22T00:00:00Z',
      },
      params,
    );
    expect(where).toEqual([
      'status = ANY($2::text[])',
      'disposition = ANY($3::text[])',
      'direction = ANY($4::text[])',
      'server = $5',
      '(from_number LIKE $6 OR to_number LIKE $6)',
      'started_at >= $7::timestamptz',
      'started_at < $8::timestamptz',
    ]);
    expect(params).toEqual([
      'already',
      ['finished'],
      ['busy'],
      ['inbound', 'outbound'],
      'pbx1',
      '+49\\_1%',
      '2026-11-21T04:00:00.000Z',
      '2026-11-22T00:00:00.000Z',
    ]);
  });

  it('treats empty lists and an empty number as no filter', () => {
    const params: unknown[] = [];
    expect(whereClause(callFilterSql({ status: [], direction: [], number: '' }, params))).toBe('');
    expect(params).toEqual([]);
  });

  it('refuses a time that is not a time', () => {
    expect(() => callFilterSql({ until: 'soon' }, [])).toThrow(expect.objectContaining({ code: 'CF_REQUEST_INVALID' }));
  });
});

describe('escapeLike', () => {
  it('escapes the LIKE wildcards and the escape character', () => {
    expect(escapeLike('1%_\\2')).toBe('1\\%\\_\\\\2');
  });
});

describe('cursor', () => {
  it('round-trips the position, keeping the exact time text', () => {
    const position = { startedAt: '2026-11-21T04:11:05.677123Z', id: 'call/1 "x"' };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it.each([
    'garbage!',
    Buffer.from('{"a":1}').toString('base64url'),
    Buffer.from('["2026-11-21T04:00:00Z"]').toString('base64url'),
    Buffer.from('["2026-13-45T04:00:00Z","x"]').toString('base64url'),
    Buffer.from('["2026","x"]').toString('base64url'),
  ])('refuses %s', (cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ code: 'CF_REQUEST_INVALID' }));
  });
});

describe('checkPageSize', () => {
  it('accepts 1..500 and refuses the rest', () => {
    expect(() => checkPageSize(1)).not.toThrow();
    expect(() => checkPageSize(500)).not.toThrow();
    for (const bad of [0, 501, 1.5, Number.NaN]) {
      expect(() => checkPageSize(bad)).toThrow(expect.objectContaining({ code: 'CF_REQUEST_INVALID' }));
    }
  });
});
