// Rows for COPY ... FROM STDIN (FORMAT binary), PostgreSQL's binary copy format: a fixed header, then per
// row a 16-bit field count and per field a 32-bit byte length (-1 for NULL) followed by the value in the
// type's binary form, then a trailer of -1. Text and json values travel as their UTF-8 bytes with no
// escaping at all, timestamps as 64-bit microseconds since 2000-01-01 UTC. Measured on this project's
// event rows, PostgreSQL takes them ~20% faster than the same rows in text format, and building them
// needs no scan for characters to escape.
//
// The data is written into chunks of shared memory (copy-chunks.ts) that go to the server one after
// another. A field (its length and value) or a row's field count never straddles two chunks, so the
// data can be read back chunk by chunk (readCopyRows); a row may.

import { CHUNK_BYTES, giveBackChunks, takeChunk } from './copy-chunks.ts';
import { cleanText } from './copy-text.ts';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags (none), header extension length (none). */
const HEADER_BYTES = SIGNATURE.length + 4 + 4;
/** PostgreSQL's timestamp epoch (2000-01-01T00:00:00Z) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_POW_32 = 2 ** 32;

/** Write each row as `row(n)` followed by exactly n field calls; `finish()` once, last. */
export class BinaryCopy {
  private readonly full: Uint8Array[] = [];
  private buf: Buffer;
  private length: number;

  constructor() {
    this.buf = takeChunk();
    SIGNATURE.copy(this.buf, 0);
    this.buf.writeInt32BE(0, SIGNATURE.length);
    this.buf.writeInt32BE(0, SIGNATURE.length + 4);
    this.length = HEADER_BYTES;
  }

  /** Makes room for `bytes` more in the current chunk, starting the next one when they do not fit. */
  private room(bytes: number): void {
    if (this.length + bytes <= this.buf.length) return;
    if (this.length > 0) this.full.push(this.buf.subarray(0, this.length));
    else giveBackChunks([this.buf]);
    this.buf = takeChunk(Math.max(CHUNK_BYTES, bytes));
    this.length = 0;
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

  /** The data with its trailer: views of the written part of each chunk, in order. */
  finish(): Uint8Array[] {
    this.room(2);
    this.buf.writeInt16BE(-1, this.length);
    this.length += 2;
    this.full.push(this.buf.subarray(0, this.length));
    return this.full;
  }
}

/** A value read back: its bytes (a view into the chunk), or null. */
export type CopyField = Uint8Array | null;

/**
 * Reads back the rows a BinaryCopy wrote, calling `onRow` with each row's fields (views into the chunks,
 * valid during the call). For rewriting a batch that PostgreSQL refused (write-batch.ts).
 */
export function readCopyRows(chunks: readonly Uint8Array[], onRow: (fields: CopyField[]) => void): void {
  let fieldsLeft = -1;
  let row: CopyField[] = [];
  chunks.forEach((chunk, index) => {
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = 0;
    if (index === 0) {
      if (Buffer.compare(Buffer.from(chunk.buffer, chunk.byteOffset, SIGNATURE.length), SIGNATURE) !== 0) throw new Error('not binary COPY data');
      at = HEADER_BYTES + view.getInt32(SIGNATURE.length + 4);
    }
    while (at < chunk.byteLength) {
      if (fieldsLeft === -1) {
        const fields = view.getInt16(at);
        at += 2;
        if (fields === -1) return;
        fieldsLeft = fields;
        row = [];
      } else {
        const length = view.getInt32(at);
        at += 4;
        row.push(length === -1 ? null : chunk.subarray(at, at + length));
        if (length > 0) at += length;
        fieldsLeft--;
      }
      if (fieldsLeft === 0) {
        onRow(row);
        fieldsLeft = -1;
      }
    }
  });
}
