import { describe, expect, it } from 'vitest';
import { foundUpAt, goneCallEnd } from './resync-times.ts';

// The estimates a resync stores for what it could not see, as a table of times.

const at = (s: string) => `2026-11-21T04:11:${s}Z`;

describe('goneCallEnd', () => {
  const table: { name: string; call: string; heard: string | null; resync: string; end: string }[] = [
    { name: 'the last event heard from the server, after the call went quiet', call: at('05.000'), heard: at('09.500'), resync: at('20.000'), end: at('09.500') },
    { name: "the call's own last event when it is the later", call: at('10.000'), heard: at('09.500'), resync: at('20.000'), end: at('10.000') },
    { name: 'the call alone when nothing was heard from the server this run', call: at('05.000'), heard: null, resync: at('20.000'), end: at('05.000') },
    { name: 'never after the resync', call: at('05.000'), heard: at('30.000'), resync: at('20.000'), end: at('20.000') },
  ];
  for (const row of table) {
    it(row.name, () => expect(goneCallEnd(row.call, row.heard, row.resync)).toBe(row.end));
  }
});

describe('foundUpAt', () => {
  it("is the call's last event before the resync, never after the resync", () => {
    expect(foundUpAt(at('05.000'), at('20.000'))).toBe(at('05.000'));
    expect(foundUpAt(at('25.000'), at('20.000'))).toBe(at('20.000'));
  });
});
