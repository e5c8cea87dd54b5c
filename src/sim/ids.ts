// Identifiers the way Asterisk makes them: uniqueids `<epoch seconds>.<counter>`, per-driver channel
// name suffixes as 8 hex digits, bridge ids as UUIDs. Counters are shared by every call generated from
// one IdCounter, so ids never repeat within a run.
import type { Rng } from './rng.ts';

export interface IdCounter {
  /** Next number after the dot of a uniqueid. */
  uniqueid: number;
  /** Next Local channel pair suffix (`Local/100@ctx-0000002a;1`). */
  local: number;
  /** Next PJSIP channel suffix (`PJSIP/alice-00000007`). */
  pjsip: number;
}

export function createIdCounter(start: Partial<IdCounter> = {}): IdCounter {
  return { uniqueid: start.uniqueid ?? 0, local: start.local ?? 0, pjsip: start.pjsip ?? 0 };
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** A version-4-shaped UUID drawn from the seeded generator (Asterisk bridge ids look like this). */
export function uuidFromRng(rng: Rng): string {
  const h = rng.hex(32);
  const variant = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A SIP Call-ID in the shape the sipp tool sends (`<n>-<pid>@<host>`), unique per PJSIP channel. */
export function sipCallId(rng: Rng, sipSuffix: number): string {
  return `${sipSuffix + 1}-${rng.int(1000, 99999)}@127.0.0.1`;
}
