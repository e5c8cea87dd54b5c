// One live stream for the whole dashboard: messages update the book immediately, and React hears about
// it at most once per animation frame, so a burst of a thousand updates costs one render.
import { useSyncExternalStore } from 'react';
import { ApiError, getJson, liveSocketUrl } from '../api/client.ts';
import { LiveSocket, type SocketState } from '../api/live-socket.ts';
import type { CallRecord, LiveMessage } from '../api/types.ts';
import { applyLiveMessage, countOpenCalls, createLiveBook, sortedOpenCalls, type LiveCounts } from '../lib/live-book.ts';
import { subscribeAuth, getAuthState } from './api-key.ts';

export type LiveConnection = SocketState | 'unauthorized';

export interface LiveSnapshot {
  connection: LiveConnection;
  /** Open calls, newest first. */
  calls: CallRecord[];
  counts: LiveCounts;
  /** Recently finished calls, newest first. */
  finished: CallRecord[];
  /** Whether the first snapshot has arrived since the page loaded. */
  synced: boolean;
}

// Background tabs get no animation frames; this bounds how stale the book may get there.
const HIDDEN_FLUSH_MS = 1000;
// Under a stream of updates, a few renders a second read as live; sixty would only burn the CPU.
const MIN_FLUSH_INTERVAL_MS = 200;

type Listener = () => void;

class LiveStore {
  private readonly book = createLiveBook();
  private readonly listeners = new Set<Listener>();
  private connection: LiveConnection = 'closed';
  private synced = false;
  private frame: number | null = null;
  private fallback: ReturnType<typeof setTimeout> | null = null;
  private delay: ReturnType<typeof setTimeout> | null = null;
  private lastFlushMs = -Infinity;
  private snapshot: LiveSnapshot = this.compute();
  private keyVersion = getAuthState().keyVersion;
  private readonly socket = new LiveSocket({
    url: liveSocketUrl,
    onMessage: (message) => this.onMessage(message),
    onState: (state) => {
      if (this.connection === 'unauthorized' && state === 'closed') return;
      this.connection = state;
      this.schedule();
    },
    onRefused: () => this.probeAuth(),
  });

  constructor() {
    subscribeAuth(() => {
      const { keyVersion } = getAuthState();
      if (keyVersion === this.keyVersion) return;
      this.keyVersion = keyVersion;
      this.restart();
    });
  }

  subscribe = (listener: Listener): (() => void) => {
    if (this.listeners.size === 0) this.socket.start();
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getSnapshot = (): LiveSnapshot => this.snapshot;

  private restart(): void {
    this.socket.stop();
    this.connection = 'connecting';
    this.socket.start();
  }

  /** A socket that never opened may have been refused for its key; the HTTP API says which. */
  private async probeAuth(): Promise<boolean> {
    try {
      await getJson('/api/stats');
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.connection = 'unauthorized';
        this.schedule();
        return false;
      }
      return true;
    }
  }

  private onMessage(message: LiveMessage): void {
    if (applyLiveMessage(this.book, message) && message.type === 'snapshot') this.synced = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame !== null || this.fallback !== null || this.delay !== null) return;
    const waitMs = this.lastFlushMs + MIN_FLUSH_INTERVAL_MS - performance.now();
    if (waitMs > 0) {
      this.delay = setTimeout(() => {
        this.delay = null;
        this.schedule();
      }, waitMs);
      return;
    }
    this.frame = requestAnimationFrame(() => this.flush());
    this.fallback = setTimeout(() => this.flush(), HIDDEN_FLUSH_MS);
  }

  private flush(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    if (this.fallback !== null) clearTimeout(this.fallback);
    this.frame = null;
    this.fallback = null;
    this.lastFlushMs = performance.now();
    this.snapshot = this.compute();
    for (const listener of this.listeners) listener();
  }

  private compute(): LiveSnapshot {
    const calls = sortedOpenCalls(this.book);
    return {
      connection: this.connection,
      calls,
      counts: countOpenCalls(calls),
      finished: this.book.finished,
      synced: this.synced,
    };
  }
}

const store = new LiveStore();

export function useLiveCalls(): LiveSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
