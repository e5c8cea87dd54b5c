// One live stream for the whole dashboard: messages update the book immediately, and React hears about
// it at most once per animation frame, so a burst of a thousand updates costs one render.
//
// While the stream is away the store remembers since when (the view freezes its clocks there and says so);
// when it comes back it either resumed, and the missed changes (finished calls among them) arrive as usual,
// or it starts over from a snapshot, and the calls that ended meanwhile are asked of the history API.
import { useSyncExternalStore } from 'react';
import { fetchLiveTicket, getJson, liveSocketUrl } from '../api/client.ts';
import { LiveSocket, type LiveOpeningKind, type SocketState } from '../api/live-socket.ts';
import type { CallPage, CallRecord, LiveSnapshotMessage } from '../api/types.ts';
import {
  RECENT_FINISHED_LIMIT,
  applyChange,
  applySnapshot,
  countOpenCalls,
  createLiveBook,
  rememberFinished,
  sortedOpenCalls,
  type LiveCounts,
} from '../lib/live-book.ts';
import { getAuthState, subscribeAuth } from './api-key.ts';

export type LiveConnection = SocketState;

export interface LiveSnapshot {
  connection: LiveConnection;
  /** Open calls, newest first. */
  calls: CallRecord[];
  counts: LiveCounts;
  /** Recently finished calls, newest first. */
  finished: CallRecord[];
  /** Whether the first snapshot has arrived since the page loaded. */
  synced: boolean;
  /** When (browser clock) the stream was lost, while it is away; null while live. */
  offlineSinceMs: number | null;
  /** The open calls the engine held when the snapshot came, when it sent only the newest of them. */
  truncatedFrom: number | null;
}

// Background tabs get no animation frames; this bounds how stale the book may get there.
const HIDDEN_FLUSH_MS = 1000;
// Under a stream of updates, a few renders a second read as live; sixty would only burn the CPU.
const MIN_FLUSH_INTERVAL_MS = 200;
/** How far before the last event seen the history is searched for calls that ended while away. */
const RECOVERY_MARGIN_MS = 60_000;

type Listener = () => void;

interface Outage {
  sinceMs: number;
  /** The book's latest event time when the stream was lost (Asterisk's clock). */
  lastEventAt: string | null;
}

class LiveStore {
  private readonly book = createLiveBook();
  private readonly listeners = new Set<Listener>();
  private connection: LiveConnection = 'closed';
  private synced = false;
  private outage: Outage | null = null;
  private truncatedFrom: number | null = null;
  private frame: number | null = null;
  private fallback: ReturnType<typeof setTimeout> | null = null;
  private delay: ReturnType<typeof setTimeout> | null = null;
  private lastFlushMs = -Infinity;
  private snapshot: LiveSnapshot = this.compute();
  private keyVersion = getAuthState().keyVersion;
  private readonly socket = new LiveSocket({
    ticket: () => fetchLiveTicket(),
    url: liveSocketUrl,
    onOpening: (kind, snapshot) => this.onOpening(kind, snapshot),
    onChange: (change) => {
      applyChange(this.book, change);
      this.schedule();
    },
    onState: (state) => this.onState(state),
  });

  constructor() {
    subscribeAuth(() => {
      const { keyVersion } = getAuthState();
      if (keyVersion === this.keyVersion) return;
      this.keyVersion = keyVersion;
      this.socket.stop();
      this.socket.start();
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

  private onState(state: SocketState): void {
    this.connection = state;
    if (state !== 'open' && this.synced && this.outage === null) {
      this.outage = { sinceMs: Date.now(), lastEventAt: this.book.lastEventAt };
    }
    this.schedule();
  }

  private onOpening(kind: LiveOpeningKind, snapshot: LiveSnapshotMessage | null): void {
    const outage = this.outage;
    this.outage = null;
    if (snapshot !== null) {
      const vanished = applySnapshot(this.book, snapshot.calls);
      this.truncatedFrom = snapshot.truncated ? snapshot.openCalls : null;
      this.synced = true;
      if (kind === 'resnapshot' && outage !== null) void this.recoverFinished(outage, vanished);
    }
    this.schedule();
  }

  /**
   * After a snapshot replaced what was known: the calls that were open here and are gone from it, and the
   * calls that started and ended while away, from the history API, listed as just finished.
   */
  private async recoverFinished(outage: Outage, vanished: CallRecord[]): Promise<void> {
    const fromMs = outage.lastEventAt !== null ? Date.parse(outage.lastEventAt) : outage.sinceMs;
    const since = new Date(fromMs - RECOVERY_MARGIN_MS).toISOString();
    const listing = getJson<CallPage>(`/api/calls?status=finished&since=${encodeURIComponent(since)}&limit=${RECENT_FINISHED_LIMIT}`)
      .then((page) => page.items.filter((call) => outage.lastEventAt === null || (call.endedAt ?? '') >= outage.lastEventAt))
      .catch(() => []);
    const lookups = vanished
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))
      .slice(0, RECENT_FINISHED_LIMIT)
      .map((call) => getJson<CallRecord>(`/api/calls/${encodeURIComponent(call.id)}`).catch(() => null));
    const [listed, ...found] = await Promise.all([listing, ...lookups]);
    const byId = new Map<string, CallRecord>();
    for (const call of [...listed, ...found]) if (call !== null && !this.book.open.has(call.id)) byId.set(call.id, call);
    rememberFinished(this.book, [...byId.values()]);
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
      offlineSinceMs: this.outage?.sinceMs ?? null,
      truncatedFrom: this.truncatedFrom,
    };
  }
}

const store = new LiveStore();

export function useLiveCalls(): LiveSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
