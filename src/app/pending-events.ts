import { resolve, type CallHandle } from '../domain/grouping.ts';
import { callIdOf } from '../domain/record.ts';
import type { EncodedEvents, EventEncoder, EventRow } from '../store/types.ts';

// The events ingested since the last drain, on their way into the next write batch, in one of two forms:
//  - rows: an EventRow per event with the call it was filed under, its call id read at drain time (a
//    merge may have moved the event meanwhile);
//  - encoded: each event handed on arrival to the store's encoder (Store.encodeEvents) under the id its call
//    has then, so nothing of it stays on the heap; ids a call has left by drain time are reported as
//    renamed, and the store moves their rows after writing them (WriteBatch.merges).

export interface TakenEvents {
  events: EventRow[];
  encoded: EncodedEvents | null;
  /** Ids encoded rows were written under that their call no longer has, with the id it has now. */
  renamed: { from: string; into: string }[];
}

export interface PendingEvents {
  readonly count: number;
  add(call: CallHandle | null, server: string, type: string, channelId: string | null, receivedAt: Date, receivedIso: string, raw: string | Uint8Array): void;
  /** Everything added since the last take(). */
  take(): TakenEvents;
}

export function pendingEvents(encoder?: () => EventEncoder): PendingEvents {
  return encoder ? new PendingEncoded(encoder) : new PendingRows();
}

/** An event waiting for its batch as the row it will be stored as, with the call it was filed under. */
interface PendingRow extends EventRow {
  handle: CallHandle | null;
}

class PendingRows implements PendingEvents {
  private rows: PendingRow[] = [];

  get count(): number {
    return this.rows.length;
  }

  add(call: CallHandle | null, server: string, type: string, channelId: string | null, _receivedAt: Date, receivedIso: string, raw: string | Uint8Array): void {
    this.rows.push({ handle: call, callId: null, server, type, channelId, receivedAt: receivedIso, raw });
  }

  take(): TakenEvents {
    const rows = this.rows;
    this.rows = [];
    // The call's id is written into the row itself, which then goes into the batch as it is.
    for (const r of rows) {
      if (r.handle === null) continue;
      r.callId = callIdOf(resolve(r.handle).state);
      r.handle = null;
    }
    return { events: rows, encoded: null, renamed: [] };
  }
}

class PendingEncoded implements PendingEvents {
  private encoder: EventEncoder | null = null;
  /** Each id rows of this batch were written under, with a call they were written for. */
  private idsWritten = new Map<string, CallHandle>();

  constructor(private readonly newEncoder: () => EventEncoder) {}

  get count(): number {
    return this.encoder?.count ?? 0;
  }

  add(call: CallHandle | null, server: string, type: string, channelId: string | null, receivedAt: Date, _receivedIso: string, raw: string | Uint8Array): void {
    this.encoder ??= this.newEncoder();
    let callId: string | null = null;
    if (call !== null) {
      callId = callIdOf(call.state);
      if (!this.idsWritten.has(callId)) this.idsWritten.set(callId, call);
    }
    this.encoder.add(callId, server, type, channelId, receivedAt.getTime(), raw);
  }

  take(): TakenEvents {
    const encoder = this.encoder;
    const ids = this.idsWritten;
    this.encoder = null;
    this.idsWritten = new Map();
    const renamed: TakenEvents['renamed'] = [];
    for (const [id, call] of ids) {
      const now = callIdOf(resolve(call).state);
      if (now !== id) renamed.push({ from: id, into: now });
    }
    return { events: [], encoded: encoder === null ? null : encoder.finish(), renamed };
  }
}
