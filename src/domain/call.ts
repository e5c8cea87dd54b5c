// The call record: the one shape served by the API, the live stream and the CLI.
// Everything here is plain data; the state machine in transition.ts produces it.

export const CALL_STATUSES = ['ringing', 'answered', 'finished'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const DISPOSITIONS = ['answered', 'no_answer', 'busy', 'congestion', 'cancelled', 'failed'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export const DIRECTIONS = ['inbound', 'outbound', 'internal', 'unknown'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/**
 * How a call reached `finished`: its channels were destroyed, a resync found them gone, or the stale-call
 * sweep closed it (no news of it for too long, see staleness.ts).
 */
export const CLOSED_BY = ['hangup', 'resync', 'stale'] as const;
export type ClosedBy = (typeof CLOSED_BY)[number];

export interface Leg {
  channelId: string;
  name: string;
  /** `PJSIP/alice`, `Local/100@from-test`: the channel name without its unique suffix. */
  endpoint: string;
  /** Channel state as Asterisk last reported it (`Ring`, `Ringing`, `Up`, ...). */
  state: string;
  callerNumber: string;
  callerName: string;
  connectedNumber: string;
  context: string;
  exten: string;
  createdAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  cause: number | null;
  causeText: string | null;
  /** Last SIP status (Asterisk 20.17 / 22.7 and newer), e.g. 487 for a CANCEL. */
  techCause: number | null;
}

/** The path a routed call took through the engine's routing (docs/routing.md), from its routing steps. */
export interface CallRoute {
  /** The steps' texts in order ("number 5551000 → IVR Main", "IVR Main: pressed 2", …); the latest ROUTE_PATH_MAX. */
  path: string[];
  /** The extension number that answered the call's ring, if one did. */
  answeredBy: string | null;
  /** The conversation is recorded by a policy (its recordings: GET /api/calls/:id/recordings). */
  recorded: boolean;
}

/** Steps a record keeps of its route (a flow is bounded far below this; a hostile event stream is not). */
export const ROUTE_PATH_MAX = 64;

export interface CallRecord {
  id: string;
  /** Which configured Asterisk server the call ran on. */
  server: string;
  /**
   * The tenant the call belongs to, decided once from its first channel by the tenants' rules
   * (docs/tenants.md); `default` without rules. Records stored before this field existed read as `default`.
   */
  tenantId: string;
  status: CallStatus;
  disposition: Disposition | null;
  direction: Direction;
  from: string;
  to: string;
  startedAt: string;
  answeredAt: string | null;
  /**
   * True when `answeredAt` is the engine's estimate: a resync found the call's first channel up without the
   * engine having seen it answer (answered while the events socket was down, or before the engine ran).
   * Records stored before this field existed read as false.
   */
  answerEstimated: boolean;
  endedAt: string | null;
  durationMs: number | null;
  talkMs: number | null;
  hangupCause: number | null;
  hangupCauseText: string | null;
  closedBy: ClosedBy | null;
  /**
   * True when `endedAt` is the engine's estimate rather than a hangup Asterisk reported: the call was closed
   * by a resync or the stale-call sweep. Records stored before this field existed read as false.
   */
  endEstimated: boolean;
  /**
   * True when some of the call's facts were rebuilt from Asterisk's CEL because the engine could not see its
   * events then (a backfill of an ingest gap, src/cel). Records stored before this field existed read as false.
   */
  backfilled: boolean;
  /**
   * The path of a call routed by the engine (null for any other call). Records stored before this field
   * existed read as null.
   */
  route: CallRoute | null;
  legs: Leg[];
  /** Events of this call received so far (all types, including ones not interpreted). */
  eventCount: number;
  updatedAt: string;
}

export type TimelineKind =
  | 'created'
  | 'ringing'
  | 'answered'
  | 'dial'
  | 'bridge_entered'
  | 'bridge_left'
  | 'dtmf'
  | 'variable'
  | 'hold'
  | 'unhold'
  | 'transfer'
  | 'hangup'
  | 'recording'
  | 'routing'
  | 'stasis';

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  channelId: string | null;
  /** Short human-readable description, e.g. `DTMF 5`, `Dial ANSWER`. */
  text: string;
  data: Record<string, unknown>;
}

export interface CallDetail extends CallRecord {
  timeline: TimelineEntry[];
}
