// Facts that Asterisk encodes in channel names and uniqueids.

/** `PJSIP/alice-00000003` → `PJSIP/alice`; `Local/100@ctx-0000000e;2` → `Local/100@ctx`. */
export function endpointOf(name: string): string {
  const semi = name.lastIndexOf(';');
  const base = semi >= 0 ? name.slice(0, semi) : name;
  const dash = base.lastIndexOf('-');
  return dash > base.indexOf('/') ? base.slice(0, dash) : base;
}

/** For a Local channel half, the name shared by both halves (`Local/100@ctx-0000000e`); otherwise null. */
export function localPairKey(name: string): string | null {
  if (!name.startsWith('Local/')) return null;
  const semi = name.lastIndexOf(';');
  return semi > 0 ? name.slice(0, semi) : null;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * For `[system-]1795234265.6`, the index of the dot between the creation second and the counter; -1 when
 * the id does not end in that form. Read by hand: ids are compared whenever a call's legs are sorted, and
 * a regular expression allocated a match and two numbers per comparison.
 */
function uniqueidDot(id: string): number {
  let i = id.length - 1;
  if (i < 0 || !isDigit(id.charCodeAt(i))) return -1;
  while (i >= 0 && isDigit(id.charCodeAt(i))) i--;
  return i >= 1 && id.charCodeAt(i) === 46 && isDigit(id.charCodeAt(i - 1)) ? i : -1;
}

/** The number written in `id` from `start` (inclusive) to `end` (exclusive), all digits. */
function digitsValue(id: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (id.charCodeAt(i) - 48);
  return value;
}

/** The creation second of a uniqueid whose dot is at `dot`: the run of digits right before it. */
function secondsOf(id: string, dot: number): number {
  let start = dot;
  while (start > 0 && isDigit(id.charCodeAt(start - 1))) start--;
  return digitsValue(id, start, dot);
}

/**
 * Orders uniqueids by creation: Asterisk builds them from the creation second and a counter that only grows,
 * so the smaller one belongs to the older channel. Ids of another form sort after and by text.
 */
export function compareUniqueids(a: string, b: string): number {
  if (a === b) return 0;
  const da = uniqueidDot(a);
  const db = uniqueidDot(b);
  if (da >= 0 && db >= 0) {
    const seconds = secondsOf(a, da) - secondsOf(b, db);
    if (seconds !== 0) return seconds;
    const counter = digitsValue(a, da + 1, a.length) - digitsValue(b, db + 1, b.length);
    if (counter !== 0) return counter;
    return a < b ? -1 : 1;
  }
  if (da >= 0) return -1;
  if (db >= 0) return 1;
  return a < b ? -1 : 1;
}
