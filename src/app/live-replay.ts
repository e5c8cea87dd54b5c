// The last frames of the live stream, kept so that a client that lost its connection gets what it missed.
// Bounded by count and by bytes; the oldest go first. The frames held are always consecutive seqs, so a
// frame's place follows from its seq and nothing per frame but the bytes is stored.

export interface ReplayLimits {
  /** Frames kept at most; 0 keeps none. */
  messages: number;
  /** Bytes of frames kept at most. */
  bytes: number;
}

export class ReplayBuffer {
  private readonly ring: (Buffer | undefined)[];
  private head = 0;
  private count = 0;
  private heldBytes = 0;
  /** Seq of the frame at `head` when count > 0. */
  private firstSeq = 0;

  constructor(private readonly limits: ReplayLimits) {
    this.ring = new Array<Buffer | undefined>(limits.messages);
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** Appends the frame numbered `seq`; a seq that does not follow the last one held starts over. */
  push(seq: number, frame: Buffer): void {
    if (this.limits.messages === 0) return;
    if (this.count > 0 && seq !== this.firstSeq + this.count) this.clear();
    if (frame.length > this.limits.bytes) {
      // Kept, it would push out everything else and still not fit: the stream has a gap here instead.
      this.clear();
      return;
    }
    while (this.count > 0 && (this.count === this.limits.messages || this.heldBytes + frame.length > this.limits.bytes)) this.dropOldest();
    if (this.count === 0) this.firstSeq = seq;
    this.ring[(this.head + this.count) % this.limits.messages] = frame;
    this.count += 1;
    this.heldBytes += frame.length;
  }

  /**
   * The frames after `since`, oldest first, when every one of them is held; null when some are gone.
   * `lastSeq` is the stream's newest seq: nothing is missing when the client has seen it.
   */
  after(since: number, lastSeq: number): Buffer[] | null {
    if (since === lastSeq) return [];
    if (since > lastSeq || this.count === 0) return null;
    const heldLast = this.firstSeq + this.count - 1;
    if (heldLast !== lastSeq || since + 1 < this.firstSeq) return null;
    const out: Buffer[] = [];
    for (let seq = since + 1; seq <= lastSeq; seq++) out.push(this.ring[(this.head + seq - this.firstSeq) % this.limits.messages]!);
    return out;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.heldBytes = 0;
  }

  private dropOldest(): void {
    this.heldBytes -= this.ring[this.head]!.length;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.limits.messages;
    this.count -= 1;
    this.firstSeq += 1;
  }
}
