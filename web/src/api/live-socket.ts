// The `/api/live` WebSocket with reconnects: exponential backoff with jitter, reset once a connection
// has delivered its snapshot. Knows nothing of React; the live store drives it.
import { parseLiveMessage } from '../lib/live-book.ts';
import type { LiveMessage } from './types.ts';

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveSocketHandlers {
  url: () => string;
  onMessage: (message: LiveMessage) => void;
  onState: (state: SocketState) => void;
  /** Called after a connection closed without ever opening; may return false to stop retrying. */
  onRefused: () => Promise<boolean>;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;

export class LiveSocket {
  private socket: WebSocket | null = null;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;

  constructor(private readonly handlers: LiveSocketHandlers) {}

  start(): void {
    this.stopped = false;
    this.retryMs = FIRST_RETRY_MS;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.handlers.onState('closed');
  }

  private connect(): void {
    this.handlers.onState(this.retryMs === FIRST_RETRY_MS ? 'connecting' : 'reconnecting');
    const socket = new WebSocket(this.handlers.url());
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.retryMs = FIRST_RETRY_MS;
      this.handlers.onState('open');
    };
    socket.onmessage = (frame) => {
      if (typeof frame.data !== 'string') return;
      const message = parseLiveMessage(frame.data);
      if (message) this.handlers.onMessage(message);
    };
    socket.onclose = () => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      void this.afterClose(opened);
    };
  }

  private async afterClose(opened: boolean): Promise<void> {
    if (!opened && !(await this.handlers.onRefused())) {
      this.handlers.onState('closed');
      return;
    }
    if (this.stopped) return;
    this.handlers.onState('reconnecting');
    const delayMs = this.retryMs * (0.75 + Math.random() * 0.5);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delayMs);
  }
}
