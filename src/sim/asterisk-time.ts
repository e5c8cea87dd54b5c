// Asterisk writes event timestamps as `YYYY-MM-DDTHH:MM:SS.mmm+ZZZZ` (local zone, offset without colon).
// The simulator speaks as a server running in UTC.

const TIMESTAMP_RE = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})([+-])(\d\d)(\d\d)$/;

export function formatAsteriskTimestamp(epochMs: number): string {
  // toISOString gives `...T04:10:47.359Z`; only the zone suffix differs.
  return new Date(epochMs).toISOString().slice(0, 23) + '+0000';
}

/** Milliseconds since the epoch, or null when the text is not an Asterisk timestamp. */
export function parseAsteriskTimestamp(text: string): number | null {
  const m = TIMESTAMP_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms, sign, oh, om] = m;
  const utcMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms));
  const offsetMs = (Number(oh) * 60 + Number(om)) * 60_000;
  return sign === '+' ? utcMs - offsetMs : utcMs + offsetMs;
}
