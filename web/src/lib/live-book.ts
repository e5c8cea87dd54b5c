// The set of calls the live view shows, maintained from the `/api/live` stream. Mutated in place: with
// a thousand open calls and many messages a second, copying the map per message would dominate, and the
// view re-renders from it at most once per animation frame anyway.
import type { CallRecord, LiveMessage } from '../api/types.ts';

/** How many finished calls stay listed under "Recently finished". */
export const RECENT_FINISHED_LIMIT = 25;

export interface LiveBook {
  open: Map<string, CallRecord>;
  /** Newest first. */
  finished: CallRecord[];
}

export function createLiveBook(): LiveBook {
  return { open: new Map(), finished: [] };
}

function rememberFinished(book: LiveBook, call: CallRecord): void {
  book.finished = [call, ...book.finished.filter((item) => item.id !== call.id)].slice(0, RECENT_FINISHED_LIMIT);
}

/** Applies one stream message; returns false for messages it does not know (newer servers may add some). */
export function applyLiveMessage(book: LiveBook, message: LiveMessage): boolean {
  switch (message.type) {
    case 'snapshot':
      // A reconnect starts over from the server's view: calls that ended while disconnected disappear.
      book.open = new Map(message.calls.filter((call) => call.status !== 'finished').map((call) => [call.id, call]));
      return true;
    case 'call.created':
    case 'call.updated':
    case 'call.finished':
      if (message.call.status === 'finished') {
        book.open.delete(message.call.id);
        rememberFinished(book, message.call);
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
export function parseLiveMessage(text: string): LiveMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const message = value as { type?: unknown; calls?: unknown; call?: unknown; from?: unknown; into?: unknown };
  switch (message.type) {
    case 'snapshot':
      return Array.isArray(message.calls) ? (message as LiveMessage) : null;
    case 'call.created':
    case 'call.updated':
    case 'call.finished':
      return typeof message.call === 'object' && message.call !== null ? (message as LiveMessage) : null;
    case 'call.merged':
      return typeof message.from === 'string' && typeof message.into === 'string' ? (message as LiveMessage) : null;
    default:
      return null;
  }
}
