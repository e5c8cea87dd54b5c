import { closeSync, fdatasync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, rm, rmSync, statSync, writeSync, writevSync } from 'node:fs';
import { join } from 'node:path';

// An append-only log on local disk, read in order: where events go while the database cannot take them, so
// that the engine never stops reading its sources (Asterisk drops an events socket that is not read, and
// everything it sent meanwhile is gone). Records are numbered; a record is gone from the log only when a
// committed batch says so (the caller passes `consumedThrough`), so a crash replays whatever was not stored.
//
// Layout: segment files `spill-<first record number>.seg`, each a run of records
//   [u32 length of the rest][f64 record number][payload]
// written in groups (appends are copied into a staging buffer and written with one fdatasync per group:
// `groupMs` or `groupBytes`, whichever comes first), so the cost per event is a copy, not a disk flush.
// Bounded by `maxBytes` on disk and in the buffer together: an append past it is refused, and the caller
// counts a loss.
//
// Writes and reads are synchronous: a group is written in one call of a few hundred microseconds to a few
// milliseconds, which keeps the order of appends and reads trivially right. Syncs and deletions, which can
// take the disk's time, run in the thread pool.

const HEADER_BYTES = 4 + 8;
const READ_CHUNK_BYTES = 1024 * 1024;
/** Appends are copied into staging buffers of this size (a larger record gets one of its own). */
const STAGE_BYTES = 256 * 1024;
/** Pieces per gathered write (the kernel's IOV_MAX is 1024). */
const WRITEV_MAX = 1024;
const RETRY_MS = 1_000;
const PREFIX = 'spill-';
const SUFFIX = '.seg';

export interface SpillLogOptions {
  dir: string;
  maxBytes: number;
  /** A segment is closed and a new one begun past this size. */
  segmentBytes?: number;
  /** Buffered appends are written after at most this long. */
  groupMs?: number;
  /** ... or once this many bytes wait. */
  groupBytes?: number;
}

export interface SpillRecord {
  seq: number;
  payload: Buffer;
}

interface Segment {
  path: string;
  firstSeq: number;
  lastSeq: number;
  bytes: number;
}

export class SpillLog {
  private readonly segments: Segment[] = [];
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly groupMs: number;
  private readonly groupBytes: number;
  /** Staging buffers filled before the current one, waiting to be written. */
  private filled: Buffer[] = [];
  /** The staging buffer appends are copied into; reused once its group is written. */
  private stage: Buffer = Buffer.allocUnsafe(STAGE_BYTES);
  private stageUsed = 0;
  private bufferedBytes = 0;
  private bufferedFirstSeq = 0;
  private diskBytes = 0;
  private nextSeq = 1;
  /** The number of the next record a read returns. */
  private readNext = 1;
  /** Where the next read starts: a segment index and an offset in it. */
  private readSegment = 0;
  private readOffset = 0;
  private timer: NodeJS.Timeout | null = null;
  private writeFd: number | null = null;
  /** Written to the open segment since its last sync. */
  private unsynced = false;
  /** The descriptor a thread-pool group sync is running on, and one to close (after one more sync) when it is done. */
  private syncingFd: number | null = null;
  private closeAfterSync: { fd: number; sync: boolean } | null = null;
  /** Segment deletions running in the thread pool, and who waits for them to finish. */
  private deleting = 0;
  private readonly whenDeleted: (() => void)[] = [];

  constructor(private readonly options: SpillLogOptions) {
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.groupMs = options.groupMs ?? 20;
    this.groupBytes = options.groupBytes ?? 1024 * 1024;
    mkdirSync(options.dir, { recursive: true });
    for (const name of readdirSync(options.dir)) {
      if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) continue;
      const path = join(options.dir, name);
      const first = Number(name.slice(PREFIX.length, -SUFFIX.length));
      if (!Number.isSafeInteger(first)) continue;
      const { lastSeq, validBytes } = scanSegment(path);
      if (lastSeq < first) {
        rmSync(path, { force: true });
        continue;
      }
      this.segments.push({ path, firstSeq: first, lastSeq, bytes: validBytes });
      this.diskBytes += validBytes;
    }
    this.segments.sort((a, b) => a.firstSeq - b.firstSeq);
    const last = this.segments[this.segments.length - 1];
    if (last) this.nextSeq = last.lastSeq + 1;
    this.readNext = this.segments[0]?.firstSeq ?? this.nextSeq;
  }

  /** Records appended and not yet read. */
  get unread(): number {
    return this.nextSeq - this.readNext;
  }

  /** Bytes the log holds (on disk and waiting to be written). */
  get bytes(): number {
    return this.diskBytes + this.bufferedBytes;
  }

  /** Numbers below `seq` are taken: a log that starts after a restart continues above what was stored. */
  startAt(seq: number): void {
    if (seq > this.nextSeq && this.unread === 0) {
      this.nextSeq = seq;
      this.readNext = seq;
    }
  }

  /**
   * Appends one record made of `parts` (copied at once: the caller may reuse them); its number, or null when
   * the log is full (the caller counts the loss).
   */
  append(...parts: Uint8Array[]): number | null {
    let length = 0;
    for (const part of parts) length += part.length;
    const size = HEADER_BYTES + length;
    if (this.bytes + size > this.maxBytes) return null;
    const seq = this.nextSeq++;
    if (this.bufferedBytes === 0) this.bufferedFirstSeq = seq;
    if (this.stageUsed + size > this.stage.length) {
      if (this.stageUsed > 0) this.filled.push(this.stage.subarray(0, this.stageUsed));
      this.stage = Buffer.allocUnsafe(Math.max(STAGE_BYTES, size));
      this.stageUsed = 0;
    }
    const stage = this.stage;
    let at = this.stageUsed;
    stage.writeUInt32LE(8 + length, at);
    stage.writeDoubleLE(seq, at + 4);
    at += HEADER_BYTES;
    for (const part of parts) {
      stage.set(part, at);
      at += part.length;
    }
    this.stageUsed = at;
    this.bufferedBytes += size;
    if (this.bufferedBytes >= this.groupBytes) this.flushSoon(0);
    else this.flushSoon(this.groupMs);
    return seq;
  }

  /** The last failure to write a group (the disk full or gone), until a write succeeds again. */
  lastError: Error | null = null;

  /** Writes the buffer after `ms`; a failure keeps it buffered (bounded by maxBytes) and tries again. */
  private flushSoon(ms: number): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.groupFlush();
        this.lastError = null;
      } catch (error) {
        this.lastError = error as Error;
        this.flushSoon(RETRY_MS);
      }
    }, ms);
    this.timer.unref();
  }

  /**
   * A group: written at once, synced by the thread pool (the engine's thread does not wait for the disk); one
   * sync at a time, a group written meanwhile is synced by the next.
   */
  private groupFlush(): void {
    this.writeOut();
    if (!this.unsynced || this.writeFd === null) return;
    if (this.syncingFd !== null) {
      this.flushSoon(this.groupMs);
      return;
    }
    const fd = this.writeFd;
    this.unsynced = false;
    this.syncingFd = fd;
    fdatasync(fd, (error) => {
      this.syncingFd = null;
      const retired = this.closeAfterSync;
      if (retired?.fd === fd) {
        this.closeAfterSync = null;
        this.syncAndClose(fd, retired.sync);
      } else if (error) {
        this.lastError = error;
        this.unsynced = true;
        this.flushSoon(RETRY_MS);
      }
    });
  }

  /** Closes a segment's descriptor (synced first when written since its last sync), after a sync running on it. */
  private closeFd(fd: number, unsynced: boolean): void {
    if (this.syncingFd === fd) this.closeAfterSync = { fd, sync: unsynced };
    else this.syncAndClose(fd, unsynced);
  }

  private syncAndClose(fd: number, sync: boolean): void {
    if (!sync) {
      closeSync(fd);
      return;
    }
    fdatasync(fd, (error) => {
      if (error) this.lastError = error;
      closeSync(fd);
    });
  }

  /** Writes what is buffered and waits for the disk to have it. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.writeOut();
    if (this.unsynced && this.writeFd !== null) fdatasyncSync(this.writeFd);
    this.unsynced = false;
  }

  /** Hands what is buffered to the file, without waiting for the disk (a read needs it there, not durable). */
  private writeOut(): void {
    if (this.bufferedBytes === 0) return;
    let segment = this.segments[this.segments.length - 1];
    if (segment === undefined || segment.bytes >= this.segmentBytes || this.writeFd === null) {
      if (segment === undefined || segment.bytes >= this.segmentBytes) {
        segment = { path: join(this.options.dir, `${PREFIX}${this.bufferedFirstSeq}${SUFFIX}`), firstSeq: this.bufferedFirstSeq, lastSeq: this.bufferedFirstSeq - 1, bytes: 0 };
        this.segments.push(segment);
      }
      if (this.writeFd !== null) this.closeFd(this.writeFd, this.unsynced);
      this.unsynced = false;
      this.writeFd = openSync(segment.path, 'a');
    }
    // One gathered write of the group's staging buffers; the rest in one piece if the kernel takes only part.
    const buffers = [...this.filled, this.stage.subarray(0, this.stageUsed)];
    const total = this.bufferedBytes;
    let written = 0;
    for (let from = 0; from < buffers.length; from += WRITEV_MAX) {
      const pieces = buffers.slice(from, from + WRITEV_MAX);
      const want = pieces.reduce((n, b) => n + b.length, 0);
      const done = writevSync(this.writeFd, pieces);
      written += done;
      if (done < want) {
        const rest = Buffer.concat(buffers.slice(from)).subarray(done);
        let at = 0;
        while (at < rest.length) at += writeSync(this.writeFd, rest, at);
        written += rest.length;
        break;
      }
    }
    if (written !== total) throw new Error(`spill log: wrote ${written} of ${total} bytes`);
    this.unsynced = true;
    segment.bytes += total;
    segment.lastSeq = this.nextSeq - 1;
    this.diskBytes += total;
    // The kernel has copied the group: the current staging buffer is filled again from its start.
    this.filled = [];
    this.stageUsed = 0;
    this.bufferedBytes = 0;
  }

  /**
   * Up to `max` records after the last one read, in order (what is buffered is handed to the file first; it
   * is made durable by the next group's sync, not here). Records are read in chunks; payloads are views of them.
   */
  read(max: number): SpillRecord[] {
    if (this.bufferedBytes > 0) {
      this.writeOut();
      this.flushSoon(this.groupMs);
    }
    const out: SpillRecord[] = [];
    while (out.length < max && this.readSegment < this.segments.length) {
      const segment = this.segments[this.readSegment]!;
      if (this.readOffset >= segment.bytes) {
        if (this.readSegment === this.segments.length - 1) break;
        this.readSegment++;
        this.readOffset = 0;
        continue;
      }
      const fd = openSync(segment.path, 'r');
      try {
        while (out.length < max && this.readOffset < segment.bytes) {
          const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, segment.bytes - this.readOffset));
          const got = readSync(fd, chunk, 0, chunk.length, this.readOffset);
          let at = 0;
          while (out.length < max && at + HEADER_BYTES <= got) {
            const length = chunk.readUInt32LE(at);
            if (at + 4 + length > got) break;
            const seq = chunk.readDoubleLE(at + 4);
            out.push({ seq, payload: chunk.subarray(at + HEADER_BYTES, at + 4 + length) });
            this.readNext = seq + 1;
            at += 4 + length;
          }
          if (at === 0) {
            // One record larger than a chunk: read it whole.
            const length = chunk.readUInt32LE(0);
            const whole = Buffer.allocUnsafe(4 + length);
            readSync(fd, whole, 0, whole.length, this.readOffset);
            out.push({ seq: whole.readDoubleLE(4), payload: whole.subarray(HEADER_BYTES) });
            this.readNext = whole.readDoubleLE(4) + 1;
            at = whole.length;
          }
          this.readOffset += at;
        }
      } finally {
        closeSync(fd);
      }
    }
    return out;
  }

  /** Records up to `seq` are stored for good: segments read through and holding nothing later are deleted. */
  consumedThrough(seq: number): void {
    while (this.segments.length > 0) {
      const first = this.segments[0]!;
      const fullyRead = this.readSegment > 0 || this.readOffset >= first.bytes;
      if (first.lastSeq > seq || !fullyRead) break;
      const active = this.segments.length === 1;
      // The segment appends go to goes only once nothing waits to be written into it.
      if (active && this.bufferedBytes > 0) break;
      if (active && this.writeFd !== null) {
        this.closeFd(this.writeFd, false);
        this.writeFd = null;
        this.unsynced = false;
      }
      // Deleted by the thread pool: freeing a large file's pages takes a while. A crash before it is done
      // leaves records the next start finds stored already and passes over; a stop waits for it (settled()).
      this.deleting++;
      rm(first.path, { force: true }, (error) => {
        if (error) this.lastError = error;
        this.deleting--;
        if (this.deleting === 0) for (const done of this.whenDeleted.splice(0)) done();
      });
      this.diskBytes -= first.bytes;
      this.segments.shift();
      if (this.readSegment > 0) this.readSegment--;
      else this.readOffset = 0;
    }
  }

  /** Resolves once the segments deleted so far are gone from the disk. */
  settled(): Promise<void> {
    return this.deleting === 0 ? Promise.resolve() : new Promise((resolve) => this.whenDeleted.push(resolve));
  }

  close(): void {
    this.flush();
    if (this.writeFd !== null) this.closeFd(this.writeFd, false);
    this.writeFd = null;
  }
}

/** The last whole record of a segment (a crash may leave a torn one at the end, which is cut off). */
function scanSegment(path: string): { lastSeq: number; validBytes: number } {
  const size = statSync(path).size;
  const fd = openSync(path, 'r+');
  let offset = 0;
  let lastSeq = -1;
  try {
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    while (offset + HEADER_BYTES <= size) {
      readSync(fd, header, 0, HEADER_BYTES, offset);
      const length = header.readUInt32LE(0);
      if (length < 8 || offset + 4 + length > size) break;
      lastSeq = header.readDoubleLE(4);
      offset += 4 + length;
    }
    // A record cut short by a crash is cut off, so that appends go after the last whole one.
    if (offset < size) ftruncateSync(fd, offset);
  } finally {
    closeSync(fd);
  }
  return { lastSeq, validBytes: offset };
}
