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

/**
 * Writes records' heads ([kind][server length][server][time]) into one scratch buffer per server name, reused
 * from record to record: the spill log copies a record's pieces when it is appended. Bodies are not copied here.
 */
export class SpillRecordWriter {
  private readonly heads = new Map<string, Buffer>();

  event(server: string, receivedAtMs: number, raw: Uint8Array | string): Uint8Array[] {
    return [this.head(EVENT, server, receivedAtMs), typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw];
  }

  resync(server: string, takenAtMs: number, view: { channels: AriChannel[]; bridges: AriBridge[] }): Uint8Array[] {
    return [this.head(RESYNC, server, takenAtMs), Buffer.from(JSON.stringify(view), 'utf8')];
  }

  private head(kind: number, server: string, atMs: number): Buffer {
    let head = this.heads.get(server);
    if (head === undefined) {
      const name = Buffer.from(server, 'utf8');
      head = Buffer.alloc(1 + 2 + name.length + 8);
      head.writeUInt16LE(name.length, 1);
      name.copy(head, 3);
      this.heads.set(server, head);
    }
    head.writeUInt8(kind, 0);
    head.writeDoubleLE(atMs, head.length - 8);
    return head;
  }
}

/** Reads records back; a run of records of one server decodes its name once. */
export class SpillRecordReader {
  private lastName: Buffer | null = null;
  private lastServer = '';

  /** Null for a record this version cannot read (counted as lost by the caller). */
  read(payload: Buffer): SpilledRecord | null {
    if (payload.length < 11) return null;
    const kind = payload.readUInt8(0);
    const nameLength = payload.readUInt16LE(1);
    if (payload.length < 11 + nameLength) return null;
    const server = this.server(payload, nameLength);
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

  private server(payload: Buffer, nameLength: number): string {
    const last = this.lastName;
    if (last !== null && last.length === nameLength && payload.compare(last, 0, nameLength, 3, 3 + nameLength) === 0) return this.lastServer;
    this.lastName = Buffer.from(payload.subarray(3, 3 + nameLength));
    this.lastServer = this.lastName.toString('utf8');
    return this.lastServer;
  }
}
