import type { CallRecord } from '../domain/call.ts';
import { liveCall } from './live-frame.ts';
import type { LiveSnapshotMessage } from './live-protocol.ts';

// The snapshot a live client starts from: open calls only, newest first, each capped like every live
// message, and at most `maxCalls` calls and `maxBytes` bytes in all. What did not fit is said in the
// message (`truncated`, `openCalls`), never silently left out.

export interface SnapshotLimits {
  maxCalls: number;
  maxBytes: number;
}

/** Room kept for the message's own fields around the calls. */
const ENVELOPE_BYTES = 256;

function newestFirst(a: CallRecord, b: CallRecord): number {
  if (a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The snapshot of `open` as one frame's bytes. */
export function snapshotFrame(open: readonly CallRecord[], limits: SnapshotLimits, head: { stream: string; seq: number }): Buffer {
  const calls = open.filter((call) => call.status !== 'finished').sort(newestFirst);
  const parts: string[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const call of calls) {
    if (parts.length === limits.maxCalls) break;
    const text = JSON.stringify(liveCall(call));
    const size = Buffer.byteLength(text) + 1;
    if (bytes + size > limits.maxBytes) break;
    parts.push(text);
    bytes += size;
  }
  const envelope: Omit<LiveSnapshotMessage, 'calls'> = {
    type: 'snapshot',
    stream: head.stream,
    seq: head.seq,
    openCalls: calls.length,
    truncated: parts.length < calls.length,
  };
  // The calls are spliced in as the texts already made: each is stringified once, and only the ones sent.
  const text = JSON.stringify(envelope);
  return Buffer.from(`${text.slice(0, -1)},"calls":[${parts.join(',')}]}`);
}
