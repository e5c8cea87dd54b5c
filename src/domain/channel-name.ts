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

/** Parses `[system-]1795234265.6` into [seconds, counter]; null when not that form. */
function uniqueidParts(id: string): [number, number] | null {
  const m = /(\d+)\.(\d+)$/.exec(id);
  if (!m) return null;
  return [Number(m[1]), Number(m[2])];
}

/**
 * Orders uniqueids by creation: Asterisk builds them from the creation second and a counter that only grows,
 * so the smaller one belongs to the older channel. Ids of another form sort after and by text.
 */
export function compareUniqueids(a: string, b: string): number {
  if (a === b) return 0;
  const pa = uniqueidParts(a);
  const pb = uniqueidParts(b);
  if (pa && pb) {
    if (pa[0] !== pb[0]) return pa[0] - pb[0];
    if (pa[1] !== pb[1]) return pa[1] - pb[1];
    return a < b ? -1 : 1;
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : 1;
}
