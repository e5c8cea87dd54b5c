// The `/api/live` WebSocket with reconnects: a fresh ticket before every attempt (the key never goes in a
// URL), exponential backoff with jitter, and resumption: it remembers the stream id and the last seq it
// handed on, and asks to continue from there. Knows nothing of React; the live store drives it.
import { parseLiveMessage } from '../lib/live-book.ts';
import { ApiError, type LiveResume } from './client.ts';
import { LIVE_CLOSE_CODES, type LiveChange, type LiveSnapshotMessage } from './types.ts';

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'unauthorized';

/** How a connection began: a first snapshot, a snapshot replacing what was known, or a resumption. */
export type LiveOpeningKind = 'snapshot' | 'resnapshot' | 'resumed';

export interface LiveSocketHandlers {
  /** A single-use ticket; rejects with a 401 ApiError when the key is missing or wrong. */
  ticket: () => Promise<string>;
  url: (ticket: string, resume: LiveResume | null) => string;
  /** The stream is in step again; `snapshot` is set unless the connection resumed. */
  onOpening: (kind: LiveOpeningKind, snapshot: LiveSnapshotMessage | null) => void;
  onChange: (change: LiveChange) => void;
  onState: (state: SocketState) => void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;
/** Close code the dashboard uses itself when it sees a gap in the seqs (never expected; it resumes). */
const CLIENT_GAP_CLOSE = 4000;

export class LiveSocket {
  private socket: WebSocket | null = null;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  /** Bumped on every start and stop, so an attempt still fetching its ticket knows it is obsolete. */
  private generation = 0;
  private stream: string | null = null;
  private lastSeq = 0;
  private everOpen = false;

  constructor(private readonly handlers: LiveSocketHandlers) {}

  start(): void {
    this.stopped = false;
    this.generation += 1;
    this.retryMs = FIRST_RETRY_MS;
    void this.connect(this.generation);
  }

  stop(): void {
    this.stopped = true;
    this.generation += 1;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.handlers.onState('closed');
  }

  private async connect(generation: number): Promise<void> {
    this.handlers.onState(this.everOpen ? 'reconnecting' : 'connecting');
    let ticket: string;
    try {
      ticket = await this.handlers.ticket();
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof ApiError && error.status === 401) {
        // Retrying cannot help until someone gives a key; the store restarts the socket then.
        this.handlers.onState('unauthorized');
        return;
      }
      this.retryLater(generation);
      return;
    }
    if (generation !== this.generation) return;
    const resume = this.stream === null ? null : { stream: this.stream, since: this.lastSeq };
    const socket = new WebSocket(this.handlers.url(ticket, resume));
    this.socket = socket;
    let resnapshot = false;
    socket.onmessage = (frame) => {
      if (this.socket !== socket || typeof frame.data !== 'string') return;
      const message = parseLiveMessage(frame.data);
      if (message === null) return;
      switch (message.type) {
        case 'resnapshot':
          resnapshot = true;
          return;
        case 'snapshot':
        case 'resumed':
          this.stream = message.stream;
          this.lastSeq = message.seq;
          this.everOpen = true;
          this.retryMs = FIRST_RETRY_MS;
          this.handlers.onOpening(message.type === 'resumed' ? 'resumed' : resnapshot ? 'resnapshot' : 'snapshot', message.type === 'snapshot' ? message : null);
          this.handlers.onState('open');
          return;
        default:
          if (message.seq <= this.lastSeq) return;
          if (message.seq !== this.lastSeq + 1) {
            socket.close(CLIENT_GAP_CLOSE, 'gap in seq');
            return;
          }
          this.lastSeq = message.seq;
          this.handlers.onChange(message);
      }
    };
    socket.onclose = (event) => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      // Dropped for reading too slowly, or by ourselves over a gap: come back at once and resume.
      if (event.code === LIVE_CLOSE_CODES.TOO_SLOW || event.code === CLIENT_GAP_CLOSE) this.retryMs = FIRST_RETRY_MS;
      this.retryLater(generation);
    };
  }

  private retryLater(generation: number): void {
    if (this.stopped || generation !== this.generation) return;
    this.handlers.onState(this.everOpen ? 'reconnecting' : 'connecting');
    const delayMs = this.retryMs * (0.75 + Math.random() * 0.5);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped && generation === this.generation) void this.connect(generation);
    }, delayMs);
  }
}
