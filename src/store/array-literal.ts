// PostgreSQL array literals (`{"a","b",NULL}`) built here instead of by the driver. On the embedded
// database the driver would build them on PGlite's thread, the busy one (a third of its time went to
// turning array parameters into literals); the engine's main thread has time to spare while PGlite works.

const QUOTED_SPECIALS = /[\\"]/g;

/**
 * The array literal of `values` for a `text[]`, `json[]` or `timestamptz[]` parameter: every element
 * quoted, backslashes and double quotes escaped, null as NULL.
 */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (i > 0) out += ',';
    out += value === null ? 'NULL' : `"${value.replace(QUOTED_SPECIALS, '\\$&')}"`;
  }
  return `${out}}`;
}
