import { ROUTE_PATH_MAX, type CallRoute } from './call.ts';
import { compareUniqueids } from './channel-name.ts';

// The facts a call accumulates from its events. Derived fields (status, disposition, direction, ...)
// are computed from these facts in record.ts, so that folding all events of a call in one go and
// merging two partial calls give the same record.

export interface LegState {
  readonly channelId: string;
  readonly name: string;
  readonly state: string;
  readonly callerNumber: string;
  readonly callerName: string;
  readonly connectedNumber: string;
  /** Context and extension where the channel started (the first non-empty values seen). */
  readonly context: string;
  readonly exten: string;
  readonly createdAt: string;
  readonly answeredAt: string | null;
  /**
   * True when `answeredAt` is the engine's estimate: a resync found the channel up without the engine having
   * seen it answer (it was answered while the events socket was down, or before the engine ran).
   */
  readonly answerEstimated: boolean;
  /** Null while the channel lives. One object for the facts of its end: most legs held are open. */
  readonly end: LegEnd | null;
  /** True when ChannelCreated was seen (the app subscribes to all channels). */
  readonly seenCreated: boolean;
  /** Arrival order of the first hangup request, to tell a hangup from a timeout. */
  readonly hangupRequestOrder: number | null;
  /**
   * The Q.850 cause of the latest hangup request that gave one (0 and Asterisk's internal values left out): the
   * cause a leg keeps when the engine ends it itself before its ChannelDestroyed could arrive.
   */
  readonly hangupRequestCause: number | null;
}

export interface LegEnd {
  readonly at: string;
  readonly cause: number | null;
  readonly causeText: string | null;
  readonly techCause: number | null;
  /** Its ChannelDestroyed, a resync that found the channel gone, or the stale-call sweep. */
  readonly by: 'hangup' | 'resync' | 'stale';
}

/** A Dial attempt's final result (ANSWER, BUSY, NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL, ...). */
export interface DialFact {
  readonly peerId: string;
  readonly callerId: string | null;
  readonly status: string;
  readonly at: string;
  readonly order: number;
}

/**
 * What a channel was dialled as: the first non-empty dialstring of a Dial naming it as the peer. Without a
 * caller the channel was dialled on its own: an originate (ARI `POST /channels`, AMI Originate, a call
 * file) or an ARI application's `POST /channels/{id}/dial`, by us or another application.
 */
export interface DialledChannel {
  readonly peerId: string;
  readonly callerId: string | null;
  readonly dialstring: string;
}

export interface CallState {
  readonly server: string;
  /**
   * Given when the call was founded, from its first channel (tenant.ts), and kept: later channels, a merge
   * into it and rule changes leave it alone.
   */
  readonly tenantId: string;
  /** Sorted by uniqueid: oldest channel first. */
  readonly legs: readonly LegState[];
  readonly dials: readonly DialFact[];
  readonly dialled: readonly DialledChannel[];
  readonly linkedId: string | null;
  readonly eventCount: number;
  readonly firstEventAt: string;
  readonly lastEventAt: string;
  /** Some of the call's events were made from Asterisk's CEL (a backfill); absent: none were. */
  readonly backfilled?: boolean;
  /** The routing path, from the call's routing steps; absent: the call was not routed by the engine. */
  readonly route?: CallRoute;
}

/**
 * The route with one more step (the oldest dropped past ROUTE_PATH_MAX). A recording step marks the route
 * recorded instead of lengthening the path: the path says where the call went.
 */
export function routeWithStep(route: CallRoute | undefined, step: { text: string; answeredBy: string | null; recording: boolean }): CallRoute {
  const before = route?.path ?? [];
  const path = step.recording ? before : before.length >= ROUTE_PATH_MAX ? [...before.slice(1 - ROUTE_PATH_MAX), step.text] : [...before, step.text];
  return { path, answeredBy: step.answeredBy ?? route?.answeredBy ?? null, recorded: step.recording || route?.recorded === true };
}

/** Shared by every call without a final Dial yet (most): states are never mutated, only replaced. */
const NO_DIALS: readonly DialFact[] = Object.freeze([]);
const NOTHING_DIALLED: readonly DialledChannel[] = Object.freeze([]);

export function emptyCall(server: string, at: string, tenantId: string): CallState {
  return {
    server,
    tenantId,
    legs: [],
    dials: NO_DIALS,
    dialled: NOTHING_DIALLED,
    linkedId: null,
    eventCount: 0,
    firstEventAt: at,
    lastEventAt: at,
  };
}

function byUniqueid(a: LegState, b: LegState): number {
  return compareUniqueids(a.channelId, b.channelId);
}

function minIso(a: string, b: string): string {
  return a <= b ? a : b;
}

function maxIso(a: string, b: string): string {
  return a >= b ? a : b;
}

/** One call made of two that turned out to be parts of the same call; `a` survives, with its tenant. */
export function mergeCalls(a: CallState, b: CallState): CallState {
  const seen = new Set(a.legs.map((l) => l.channelId));
  return {
    server: a.server,
    tenantId: a.tenantId,
    legs: [...a.legs, ...b.legs.filter((l) => !seen.has(l.channelId))].sort(byUniqueid),
    dials: [...a.dials, ...b.dials].sort((x, y) => x.order - y.order),
    dialled: b.dialled.length === 0 ? a.dialled : [...a.dialled, ...b.dialled.filter((d) => !a.dialled.some((x) => x.peerId === d.peerId))],
    linkedId: a.linkedId ?? b.linkedId,
    eventCount: a.eventCount + b.eventCount,
    firstEventAt: minIso(a.firstEventAt, b.firstEventAt),
    lastEventAt: maxIso(a.lastEventAt, b.lastEventAt),
    ...(a.backfilled || b.backfilled ? { backfilled: true } : {}),
    ...mergedRoute(a.route, b.route),
  };
}

function mergedRoute(a: CallRoute | undefined, b: CallRoute | undefined): { route?: CallRoute } {
  if (a === undefined || b === undefined) {
    const route = a ?? b;
    return route === undefined ? {} : { route };
  }
  return { route: { path: [...a.path, ...b.path].slice(-ROUTE_PATH_MAX), answeredBy: a.answeredBy ?? b.answeredBy, recorded: a.recorded || b.recorded } };
}

/**
 * `legs` (in uniqueid order) with `leg` added in its place, as an array of exactly the right size. A new
 * channel is nearly always the newest, so this is usually one concat; sorting instead cost a work array.
 */
export function withLegAdded(legs: readonly LegState[], leg: LegState): LegState[] {
  let at = legs.length;
  while (at > 0 && byUniqueid(legs[at - 1]!, leg) > 0) at--;
  return at === legs.length ? legs.concat(leg) : legs.slice(0, at).concat(leg, legs.slice(at));
}

/** The events filed under one channel (the channel the store keeps with each event): how many, the latest's time. */
export interface FiledEvents {
  count: number;
  lastAt: string;
}

/**
 * A call's facts split in two: what stays without the channel, and the channel's own facts (its leg, the Dials
 * that reached it, what it was dialled as, its events) to be merged into the call it moved to. The store moves
 * the channel's events with it, so each part counts the events it will be rebuilt from; `restLastAt` is the
 * latest event of the channels that stay.
 */
export function splitChannel(state: CallState, channelId: string, filed: FiledEvents | undefined, restLastAt: string): { rest: CallState; moved: CallState } {
  const leg = state.legs.find((l) => l.channelId === channelId);
  const at = filed?.lastAt ?? leg?.createdAt ?? state.firstEventAt;
  const moved: CallState = {
    // Merged into the call the channel moves to, whose tenant it then has.
    ...emptyCall(state.server, at, state.tenantId),
    eventCount: filed?.count ?? 0,
    legs: leg ? [leg] : [],
    dials: state.dials.filter((d) => d.peerId === channelId),
    dialled: state.dialled.filter((d) => d.peerId === channelId),
  };
  const rest: CallState = {
    ...state,
    eventCount: state.eventCount - moved.eventCount,
    lastEventAt: restLastAt,
    legs: leg ? state.legs.filter((l) => l !== leg) : state.legs,
    dials: moved.dials.length === 0 ? state.dials : state.dials.filter((d) => d.peerId !== channelId),
    dialled: moved.dialled.length === 0 ? state.dialled : state.dialled.filter((d) => d.peerId !== channelId),
  };
  return { rest, moved };
}
