import type { CallRecord } from '../domain/call.ts';

// What goes over WS /api/live, frame by frame (docs/api.md, "Live stream"). Shared with the dashboard,
// which imports these types, so the two cannot drift apart.
//
// Every frame carries `seq`. Change messages number the committed changes of this process, 1, 2, 3, ...
// without gaps; the opening frames (`snapshot`, `resnapshot`, `resumed`) carry the seq of the last change
// they account for, so a client that remembers the highest seq it has seen can always resume from it.
// `stream` names the process: it changes when the engine restarts, and seqs of another stream mean nothing.

export type LiveChange =
  | { seq: number; type: 'call.created' | 'call.updated' | 'call.finished'; call: CallRecord }
  | { seq: number; type: 'call.merged'; from: string; into: string };

export interface LiveSnapshotMessage {
  type: 'snapshot';
  stream: string;
  seq: number;
  /** Open calls, newest first, their texts capped (see live-frame.ts). */
  calls: CallRecord[];
  /** Open calls the engine holds; more than `calls.length` when the snapshot was truncated. */
  openCalls: number;
  truncated: boolean;
}

/** Why a client that asked to resume gets a snapshot instead. */
export type ResnapshotReason = 'stream' | 'gap';

export type LiveOpening =
  | LiveSnapshotMessage
  | { type: 'resnapshot'; stream: string; seq: number; reason: ResnapshotReason }
  | { type: 'resumed'; stream: string; seq: number };

export type LiveWireMessage = LiveOpening | LiveChange;

/**
 * WebSocket close codes the engine sends on /api/live. 4001: the client read too slowly and its send
 * buffer passed the bound; it should reconnect with `since` (it resumes, or gets a fresh snapshot).
 */
export const LIVE_CLOSE_CODES = { TOO_SLOW: 4001 } as const;
