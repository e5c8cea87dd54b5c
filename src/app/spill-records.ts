import type { AriBridge, AriChannel } from '../ari/types.ts';

// What goes into the spill log (spill-log.ts): an event as a source delivered it, or the view of a server a
// resync took while events were being spilled (it must be compared with the calls as they stood at that point
// of the stream, so it waits its turn in the log).
//   event:  [1][u16 server length][server][f64 received at, Unix ms][raw bytes]
//   resync: [2][u16 server length][server][f64 taken at, Unix ms][JSON {channels, bridges}]

const EVENT = 1;
const RESYNC = 2;

export type SpilledRecord =
  | { kind: 'event'; server: string; receivedAtMs: number; raw: Buffer }
  | { kind: 'resync'; server: string; takenAtMs: number; view: { channels: AriChannel[]; bridges: AriBridge[] } };

/** A record's pieces: its head ([kind][server length][server][time]) and its body, which is not copied. */
function encode(kind: number, server: string, atMs: number, body: Uint8Array | string): Uint8Array[] {
  const name = Buffer.from(server, 'utf8');
  const head = Buffer.allocUnsafe(1 + 2 + name.length + 8);
  head.writeUInt8(kind, 0);
  head.writeUInt16LE(name.length, 1);
  name.copy(head, 3);
  head.writeDoubleLE(atMs, 3 + name.length);
  return [head, typeof body === 'string' ? Buffer.from(body, 'utf8') : body];
}

export function spilledEvent(server: string, receivedAtMs: number, raw: Uint8Array | string): Uint8Array[] {
  return encode(EVENT, server, receivedAtMs, raw);
}

export function spilledResync(server: string, takenAtMs: number, view: { channels: AriChannel[]; bridges: AriBridge[] }): Uint8Array[] {
  return encode(RESYNC, server, takenAtMs, JSON.stringify(view));
}

/** Null for a record this version cannot read (counted as lost by the caller). */
export function readSpilled(payload: Buffer): SpilledRecord | null {
  if (payload.length < 11) return null;
  const kind = payload.readUInt8(0);
  const nameLength = payload.readUInt16LE(1);
  if (payload.length < 11 + nameLength) return null;
  const server = payload.toString('utf8', 3, 3 + nameLength);
  const atMs = payload.readDoubleLE(3 + nameLength);
  const body = payload.subarray(11 + nameLength);
  if (kind === EVENT) return { kind: 'event', server, receivedAtMs: atMs, raw: body };
  if (kind !== RESYNC) return null;
  try {
    const view = JSON.parse(body.toString('utf8')) as { channels: AriChannel[]; bridges: AriBridge[] };
    return Array.isArray(view.channels) && Array.isArray(view.bridges) ? { kind: 'resync', server, takenAtMs: atMs, view } : null;
  } catch {
    return null;
  }
}
