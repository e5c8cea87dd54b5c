// The set of calls the live view shows, maintained from the `/api/live` stream. Mutated in place: with
// a thousand open calls and many messages a second, copying the map per message would dominate, and the
// view re-renders from it at most once per animation frame anyway.
import type { CallRecord, LiveChange, LiveWireMessage } from '../api/types.ts';

/** How many finished calls stay listed under "Recently finished". */
export const RECENT_FINISHED_LIMIT = 25;

export interface LiveBook {
  open: Map<string, CallRecord>;
  /** Newest first. */
  finished: CallRecord[];
  /**
   * The latest event time seen in any call (`updatedAt`). Times in records come from Asterisk's clock, so
   * questions about what happened while disconnected are asked in that clock, not the browser's.
   */
  lastEventAt: string | null;
}

export function createLiveBook(): LiveBook {
  return { open: new Map(), finished: [], lastEventAt: null };
}

function noteEventTime(book: LiveBook, call: CallRecord): void {
  if (book.lastEventAt === null || call.updatedAt > book.lastEventAt) book.lastEventAt = call.updatedAt;
}

/**
 * Lists calls as just finished, newest first, ahead of the ones already listed (a call listed before moves
 * up). Calls that are not finished are ignored: a lookup may find a call still open.
 */
export function rememberFinished(book: LiveBook, calls: readonly CallRecord[]): void {
  const fresh = calls
    .filter((call) => call.status === 'finished')
    .sort((a, b) => ((a.endedAt ?? '') < (b.endedAt ?? '') ? 1 : (a.endedAt ?? '') > (b.endedAt ?? '') ? -1 : 0));
  if (fresh.length === 0) return;
  const ids = new Set(fresh.map((call) => call.id));
  for (const call of fresh) noteEventTime(book, call);
  book.finished = [...fresh, ...book.finished.filter((item) => !ids.has(item.id))].slice(0, RECENT_FINISHED_LIMIT);
}

/**
 * Starts over from a snapshot: the server's view replaces the open calls. Returns the calls that were open
 * here and are not in it: they ended (or merged) while the stream was away, and nothing will say so.
 */
export function applySnapshot(book: LiveBook, calls: readonly CallRecord[]): CallRecord[] {
  const open = new Map(calls.filter((call) => call.status !== 'finished').map((call) => [call.id, call]));
  const vanished = [...book.open.values()].filter((call) => !open.has(call.id));
  book.open = open;
  for (const call of open.values()) noteEventTime(book, call);
  return vanished;
}

/** Applies one change; returns false for types it does not know (newer servers may add some). */
export function applyChange(book: LiveBook, message: LiveChange): boolean {
  switch (message.type) {
    case 'call.created':
    case 'call.updated':
    case 'call.finished':
      noteEventTime(book, message.call);
      if (message.call.status === 'finished') {
        book.open.delete(message.call.id);
        rememberFinished(book, [message.call]);
      } else {
        book.open.set(message.call.id, message.call);
      }
      return true;
    case 'call.merged':
      book.open.delete(message.from);
      book.finished = book.finished.filter((call) => call.id !== message.from);
      return true;
    default:
      return false;
  }
}

/** Newest call first; ties broken by id so rows never swap places between renders. */
export function sortedOpenCalls(book: LiveBook): CallRecord[] {
  return [...book.open.values()].sort((a, b) => {
    if (a.startedAt === b.startedAt) return a.id < b.id ? 1 : -1;
    return a.startedAt < b.startedAt ? 1 : -1;
  });
}

export interface LiveCounts {
  total: number;
  ringing: number;
  talking: number;
  inbound: number;
  outbound: number;
  internal: number;
}

export function countOpenCalls(calls: readonly CallRecord[]): LiveCounts {
  const counts: LiveCounts = { total: calls.length, ringing: 0, talking: 0, inbound: 0, outbound: 0, internal: 0 };
  for (const call of calls) {
    if (call.status === 'ringing') counts.ringing += 1;
    else if (call.status === 'answered') counts.talking += 1;
    if (call.direction === 'inbound') counts.inbound += 1;
    else if (call.direction === 'outbound') counts.outbound += 1;
    else if (call.direction === 'internal') counts.internal += 1;
  }
  return counts;
}

/** Case-insensitive match on the numbers, names and endpoints an operator would type. */
export function matchesSearch(call: CallRecord, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (needle === '') return true;
  if (call.from.toLowerCase().includes(needle) || call.to.toLowerCase().includes(needle)) return true;
  return call.legs.some(
    (leg) => leg.callerName.toLowerCase().includes(needle) || leg.endpoint.toLowerCase().includes(needle),
  );
}

/** Parses one stream frame; anything that is not a known message shape yields null. */
export function parseLiveMessage(text: string): LiveWireMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const message = value as { type?: unknown; seq?: unknown; stream?: unknown; calls?: unknown; call?: unknown; from?: unknown; into?: unknown };
  if (typeof message.seq !== 'number') return null;
  const known = message as LiveWireMessage;
  switch (message.type) {
    case 'snapshot':
      return Array.isArray(message.calls) && typeof message.stream === 'string' ? known : null;
    case 'resnapshot':
    case 'resumed':
      return typeof message.stream === 'string' ? known : null;
    case 'call.created':
    case 'call.updated':
    case 'call.finished':
      return typeof message.call === 'object' && message.call !== null ? known : null;
    case 'call.merged':
      return typeof message.from === 'string' && typeof message.into === 'string' ? known : null;
    default:
      return null;
  }
}
