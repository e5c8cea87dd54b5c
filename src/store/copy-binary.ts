// Rows for COPY ... FROM STDIN (FORMAT binary), PostgreSQL's binary copy format: a fixed header, then per
// row a 16-bit field count and per field a 32-bit byte length (-1 for NULL) followed by the value in the
// type's binary form, then a trailer of -1. Text and json values travel as their UTF-8 bytes with no
// escaping at all, timestamps as 64-bit microseconds since 2000-01-01 UTC. Measured on this project's
// event rows, PostgreSQL takes them ~20% faster than the same rows in text format, and building them
// needs no scan for characters to escape.

import { returnCopyBuffer, takeCopyBuffer } from './copy-buffers.ts';
import { cleanText } from './copy-text.ts';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags (none), header extension length (none). */
const HEADER_BYTES = SIGNATURE.length + 4 + 4;
/** PostgreSQL's timestamp epoch (2000-01-01T00:00:00Z) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_POW_32 = 2 ** 32;

/**
 * One COPY's binary data built straight into one buffer of its own (never Buffer's shared pool, so it can
 * be handed to another thread; taken from and given back to copy-buffers.ts). Write each row as `row(n)`
 * followed by exactly n field calls.
 */
export class BinaryCopy {
  private buf: Buffer;
  private length = 0;
  private lastIso = '';
  private lastIsoMs = 0;

  constructor(estimatedBytes: number) {
    this.buf = takeCopyBuffer(Math.max(Buffer.poolSize * 2, HEADER_BYTES + estimatedBytes + 2));
    SIGNATURE.copy(this.buf, 0);
    this.buf.writeInt32BE(0, SIGNATURE.length);
    this.buf.writeInt32BE(0, SIGNATURE.length + 4);
    this.length = HEADER_BYTES;
  }

  private room(bytes: number): void {
    if (this.length + bytes <= this.buf.length) return;
    const next = takeCopyBuffer(Math.max(this.buf.length * 2, this.length + bytes));
    this.buf.copy(next, 0, 0, this.length);
    returnCopyBuffer(this.buf.buffer as ArrayBuffer);
    this.buf = next;
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): void {
    this.room(2);
    this.buf.writeInt16BE(fields, this.length);
    this.length += 2;
  }

  /** A text (or json) field from a string; NUL characters, which text cannot hold, are dropped. */
  text(value: string | null): void {
    if (value === null) return this.nullField();
    const clean = cleanText(value);
    this.room(4 + clean.length * 3);
    const written = this.buf.write(clean, this.length + 4, 'utf8');
    this.buf.writeInt32BE(written, this.length);
    this.length += 4 + written;
  }

  /**
   * A text (or json) field from UTF-8 bytes, copied as they are. The bytes must hold no NUL (text cannot; JSON
   * text that parses never does); PostgreSQL refuses the COPY if they do.
   */
  bytes(value: Uint8Array): void {
    this.room(4 + value.byteLength);
    this.buf.writeInt32BE(value.byteLength, this.length);
    this.buf.set(value, this.length + 4);
    this.length += 4 + value.byteLength;
  }

  /** A timestamptz field from an ISO-8601 instant (millisecond precision, as Date writes it). */
  timestampIso(iso: string): void {
    // Events of one batch mostly share a few arrival instants: parse each distinct text once.
    if (iso !== this.lastIso) {
      const ms = Date.parse(iso);
      if (Number.isNaN(ms)) throw new RangeError(`not an ISO-8601 instant: ${JSON.stringify(iso)}`);
      this.lastIso = iso;
      this.lastIsoMs = ms;
    }
    this.timestampMs(this.lastIsoMs);
  }

  /** A timestamptz field from Unix milliseconds. */
  timestampMs(ms: number): void {
    // Microseconds since 2000 stay far inside 2^53 for any date a call can carry, so doubles hold them exactly.
    const micros = (ms - PG_EPOCH_MS) * 1000;
    const high = Math.floor(micros / TWO_POW_32);
    this.room(12);
    this.buf.writeInt32BE(8, this.length);
    this.buf.writeInt32BE(high, this.length + 4);
    this.buf.writeUInt32BE(micros - high * TWO_POW_32, this.length + 8);
    this.length += 12;
  }

  private nullField(): void {
    this.room(4);
    this.buf.writeInt32BE(-1, this.length);
    this.length += 4;
  }

  /** The data with its trailer, a view of the start of this builder's own buffer. Call once, last. */
  finish(): Uint8Array {
    this.room(2);
    this.buf.writeInt16BE(-1, this.length);
    this.length += 2;
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.length);
  }
}
