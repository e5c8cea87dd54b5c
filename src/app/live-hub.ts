import { randomBytes } from 'node:crypto';
import { LIVE_DEFAULTS, type LiveConfig } from '../config/schema.ts';
import type { CallRecord } from '../domain/call.ts';
import { encodeFrame, liveChange } from './live-frame.ts';
import type { LiveOpening, ResnapshotReason } from './live-protocol.ts';
import { ReplayBuffer } from './live-replay.ts';
import { snapshotFrame } from './live-snapshot.ts';
import type { LiveMessage } from './pipeline.ts';

// The live stream of committed call changes: numbers each change, encodes it once into the frame every
// subscriber gets, keeps the last frames for clients that come back (live-replay.ts), and opens each new
// subscriber with a snapshot or with what it missed. Everything here is synchronous, so a subscriber's
// opening frames and the changes after them never interleave with another publish.
//
// Encoding costs a JSON text per change. While nobody listens and nobody left recently, changes are only
// counted: a client that comes back after that gets a fresh snapshot, which it would need anyway.

/** Bounds of the replay buffer and of snapshots (config `live.*`, docs/configuration.md). */
export type LiveHubLimits = Pick<LiveConfig, 'replayMessages' | 'replayBytes' | 'snapshotMaxCalls' | 'snapshotMaxBytes'>;

export interface LiveHubOptions extends Partial<LiveHubLimits> {
  /** The open calls as the engine holds them now. */
  openCalls: () => CallRecord[];
  now?: () => number;
}

/** Frames go out as the bytes of one text frame each. */
export type LiveSubscriber = (frame: Buffer) => void;

export interface ResumeRequest {
  stream: string;
  since: number;
}

export interface LiveAttachment {
  /** Frames to send first, in order; everything published afterwards reaches the subscriber. */
  opening: Buffer[];
  outcome: 'snapshot' | 'resumed' | 'resnapshot';
  detach: () => void;
}

/** How long frames are still kept after the last subscriber left: long enough to come back. */
const KEEP_AFTER_LAST_MS = 60_000;
/** A snapshot younger than this is sent again, followed by the frames after it, instead of rebuilt. */
const SNAPSHOT_REUSE_MS = 1_000;

export class LiveHub {
  /** Changes a process; the dashboard compares it to tell a restart from a reconnect. */
  readonly streamId = randomBytes(12).toString('base64url');
  private readonly subscribers = new Set<LiveSubscriber>();
  private readonly replay: ReplayBuffer;
  private readonly limits: LiveHubLimits;
  private readonly openCalls: () => CallRecord[];
  private readonly now: () => number;
  private seq = 0;
  /** Frames are encoded and kept until then even with nobody subscribed. */
  private keepUntilMs = -Infinity;
  private snapshot: { seq: number; frame: Buffer; builtAtMs: number } | null = null;

  constructor(options: LiveHubOptions) {
    const { openCalls, now, ...limits } = options;
    this.limits = { ...LIVE_DEFAULTS, ...stripUndefined(limits) };
    this.openCalls = openCalls;
    this.now = now ?? Date.now;
    this.replay = new ReplayBuffer({ messages: this.limits.replayMessages, bytes: this.limits.replayBytes });
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** The seq of the newest change published. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Frames and bytes held for resuming clients. */
  get replayHeld(): { messages: number; bytes: number } {
    return { messages: this.replay.size, bytes: this.replay.bytes };
  }

  publish(messages: readonly LiveMessage[]): void {
    if (messages.length === 0) return;
    if (this.subscribers.size === 0 && this.now() > this.keepUntilMs) {
      this.seq += messages.length;
      if (this.replay.size > 0) this.replay.clear();
      return;
    }
    for (const message of messages) {
      this.seq += 1;
      const frame = encodeFrame(liveChange(this.seq, message));
      this.replay.push(this.seq, frame);
      for (const subscriber of this.subscribers) {
        try {
          subscriber(frame);
        } catch {
          // One broken subscriber must not stop the others.
        }
      }
    }
  }

  /** Subscribes, resuming after `resume.since` when every frame since is still held. */
  attach(subscriber: LiveSubscriber, resume: ResumeRequest | null): LiveAttachment {
    let opening: Buffer[];
    let outcome: LiveAttachment['outcome'];
    const missed = resume !== null && resume.stream === this.streamId ? this.replay.after(resume.since, this.seq) : null;
    if (resume !== null && missed !== null) {
      opening = [encodeOpening({ type: 'resumed', stream: this.streamId, seq: resume.since }), ...missed];
      outcome = 'resumed';
    } else {
      const snapshot = this.snapshotFrames();
      opening = snapshot.frames;
      outcome = 'snapshot';
      if (resume !== null) {
        const reason: ResnapshotReason = resume.stream === this.streamId ? 'gap' : 'stream';
        opening.unshift(encodeOpening({ type: 'resnapshot', stream: this.streamId, seq: snapshot.seq, reason }));
        outcome = 'resnapshot';
      }
    }
    this.subscribers.add(subscriber);
    let attached = true;
    return {
      opening,
      outcome,
      detach: () => {
        if (!attached) return;
        attached = false;
        this.subscribers.delete(subscriber);
        if (this.subscribers.size === 0) this.keepUntilMs = this.now() + KEEP_AFTER_LAST_MS;
      },
    };
  }

  /**
   * A snapshot (of the state as of `seq`) and the frames published after it. A recent snapshot is reused
   * when the frames since are held, so a crowd of clients reconnecting at once costs one snapshot, not one each.
   */
  private snapshotFrames(): { seq: number; frames: Buffer[] } {
    const nowMs = this.now();
    const cached = this.snapshot;
    if (cached !== null && nowMs - cached.builtAtMs < SNAPSHOT_REUSE_MS) {
      const after = this.replay.after(cached.seq, this.seq);
      if (after !== null) return { seq: cached.seq, frames: [cached.frame, ...after] };
    }
    const frame = snapshotFrame(this.openCalls(), { maxCalls: this.limits.snapshotMaxCalls, maxBytes: this.limits.snapshotMaxBytes }, { stream: this.streamId, seq: this.seq });
    this.snapshot = { seq: this.seq, frame, builtAtMs: nowMs };
    return { seq: this.seq, frames: [frame] };
  }
}

function encodeOpening(message: Exclude<LiveOpening, { type: 'snapshot' }>): Buffer {
  return encodeFrame(message);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
