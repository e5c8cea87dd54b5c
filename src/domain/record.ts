import type { CallRecord, CallStatus, ClosedBy, Leg } from './call.ts';
import type { CallState, LegEnd, LegState } from './call-state.ts';
import { causeText } from './causes.ts';
import { endpointOf, localPairKey } from './channel-name.ts';
import { dialledTarget } from './dialstring.ts';
import { decideDirection, outsideNumber, type DirectionInput, type DirectionPolicy } from './direction.ts';
import { decideDisposition } from './disposition.ts';

// Derives the public call record from a call's facts. Pure and deterministic: the same facts give
// the same record, whichever way they were gathered.

/** A call's id is its linkedid: the uniqueid of its first (oldest) channel. */
export function callIdOf(state: CallState): string {
  return state.linkedId ?? state.legs[0]?.channelId ?? '';
}

/** The record's status is `finished`: the call has channels and every one of them has ended. */
export function isFinished(state: CallState): boolean {
  return state.legs.length > 0 && state.legs.every((l) => l.end !== null);
}

function firstLegOf(state: CallState, id: string): LegState | undefined {
  return state.legs.find((l) => l.channelId === id) ?? state.legs[0];
}

function originIdsOf(state: CallState, first: LegState): Set<string> {
  const ids = new Set([first.channelId]);
  const pair = localPairKey(first.name);
  if (pair) for (const leg of state.legs) if (localPairKey(leg.name) === pair) ids.add(leg.channelId);
  return ids;
}

function ms(iso: string): number {
  return Date.parse(iso);
}

function toLeg(leg: LegState): Leg {
  return {
    channelId: leg.channelId,
    name: leg.name,
    endpoint: endpointOf(leg.name),
    state: leg.state,
    callerNumber: leg.callerNumber,
    callerName: leg.callerName,
    connectedNumber: leg.connectedNumber,
    context: leg.context,
    exten: leg.exten,
    createdAt: leg.createdAt,
    answeredAt: leg.answeredAt,
    endedAt: leg.end?.at ?? null,
    cause: leg.end?.cause ?? null,
    causeText: textOfCause(leg.end),
    techCause: leg.end?.techCause ?? null,
  };
}

const TRIVIAL_EXTEN = new Set(['', 's', 'h', 'i', 't']);

/**
 * `to` is the first channel's extension; else, for a channel dialled on its own (an originate: its extension is
 * only `s`), what it was dialled as (`PJSIP/sipp` → `sipp`, `PJSIP/+4930123@trunk` → `+4930123`); else the
 * number of the first destination leg; else who the first channel is connected to.
 */
function numbersOf(state: CallState, first: LegState, origin: Set<string>, originatedAs: string | null): { from: string; to: string } {
  const originLegs = state.legs.filter((l) => origin.has(l.channelId));
  const from =
    first.callerNumber || originLegs.find((l) => l.callerNumber)?.callerNumber || state.legs.find((l) => l.callerNumber)?.callerNumber || '';
  let to = TRIVIAL_EXTEN.has(first.exten) ? '' : first.exten;
  if (!to) to = originLegs.find((l) => !TRIVIAL_EXTEN.has(l.exten))?.exten ?? '';
  if (!to && originatedAs !== null) to = dialledTarget(originatedAs);
  if (!to) {
    const dest = state.legs.find((l) => !origin.has(l.channelId));
    to = dest ? dest.connectedNumber || dest.callerNumber || dest.exten : first.connectedNumber;
  }
  return { from, to };
}

/**
 * The client's number of an outbound call: the number the call dialled outside, when the channels' own
 * numbers do not give one (an originated channel's extension is `s`; a Local channel's is the employee's).
 */
function calledNumber(policy: DirectionPolicy, input: DirectionInput): string {
  if (outsideNumber(policy, input.to) !== null) return input.to;
  const dialled = [input.originatedAs ?? '', ...input.dialledByCall].map((d) => outsideNumber(policy, d)).find((n) => n !== null);
  return dialled ?? input.to;
}

function textOfCause(end: LegEnd | null): string | null {
  if (end === null || end.cause === null) return null;
  return end.causeText ?? causeText(end.cause);
}

const hasCause = (end: LegEnd | null): end is LegEnd & { cause: number } => end !== null && end.cause !== null && end.cause !== 0;

function hangupOf(state: CallState, first: LegState): { cause: number | null; text: string | null } {
  let pick: LegEnd | null = hasCause(first.end) ? first.end : null;
  if (!pick) {
    const ended = state.legs.map((l) => l.end).filter(hasCause);
    ended.sort((a, b) => a.at.localeCompare(b.at));
    pick = ended[0] ?? (first.end?.cause != null ? first.end : null);
  }
  if (!pick || pick.cause === null) return { cause: null, text: null };
  return { cause: pick.cause, text: textOfCause(pick) };
}

/**
 * What finished the call: the stale-call sweep before a resync before hangups. When the engine ended any leg
 * itself, that is named even if the other legs hung up: the call's end, its latest leg end, is then the engine's.
 */
function closedByOf(state: CallState): ClosedBy {
  let by: ClosedBy = 'hangup';
  for (const leg of state.legs) {
    if (leg.end?.by === 'stale') return 'stale';
    if (leg.end?.by === 'resync') by = 'resync';
  }
  return by;
}

export function toRecord(state: CallState, policy: DirectionPolicy): CallRecord {
  const id = callIdOf(state);
  const first = firstLegOf(state, id);
  const startedAt = state.legs.reduce((min, l) => (l.createdAt < min ? l.createdAt : min), first?.createdAt ?? state.firstEventAt);
  if (!first) {
    // Only reachable for a call made of references without channels; kept total for safety.
    return {
      id,
      server: state.server,
      tenantId: state.tenantId,
      status: 'ringing',
      disposition: null,
      direction: 'unknown',
      from: '',
      to: '',
      startedAt,
      answeredAt: null,
      answerEstimated: false,
      endedAt: null,
      durationMs: null,
      talkMs: null,
      hangupCause: null,
      hangupCauseText: null,
      closedBy: null,
      endEstimated: false,
      backfilled: state.backfilled === true,
      route: state.route ?? null,
      legs: [],
      eventCount: state.eventCount,
      updatedAt: state.lastEventAt,
    };
  }
  const origin = originIdsOf(state, first);
  const destinationAnswer = state.dials.find((d) => d.status === 'ANSWER' && !origin.has(d.peerId));
  const answeredAt = first.answeredAt ?? destinationAnswer?.at ?? null;
  const finished = isFinished(state);
  const endedAt = finished ? state.legs.reduce((max, l) => ((l.end?.at ?? '') > max ? (l.end?.at ?? '') : max), '') || state.lastEventAt : null;
  const status: CallStatus = finished ? 'finished' : answeredAt ? 'answered' : 'ringing';
  const originatedAs = state.dialled.find((d) => d.callerId === null && origin.has(d.peerId))?.dialstring ?? null;
  const numbers = numbersOf(state, first, origin, originatedAs);
  const directionInput: DirectionInput = {
    firstChannelName: first.name,
    firstContext: first.context,
    otherChannelNames: state.legs.filter((l) => !origin.has(l.channelId)).map((l) => l.name),
    from: numbers.from,
    to: numbers.to,
    originatedAs,
    dialledByCall: state.dialled.filter((d) => (d.callerId !== null ? origin.has(d.callerId) : !origin.has(d.peerId))).map((d) => d.dialstring),
  };
  const direction = decideDirection(policy, directionInput);
  const { from } = numbers;
  const to = direction === 'outbound' ? calledNumber(policy, directionInput) : numbers.to;
  const hangup = finished ? hangupOf(state, first) : { cause: null, text: null };
  const closedBy = finished ? closedByOf(state) : null;
  return {
    id,
    server: state.server,
    tenantId: state.tenantId,
    status,
    disposition: finished ? decideDisposition({ firstLeg: first, originIds: origin, legs: state.legs, dials: state.dials }) : null,
    direction,
    from,
    to,
    startedAt,
    answeredAt,
    answerEstimated: first.answeredAt !== null && first.answerEstimated,
    endedAt,
    durationMs: endedAt ? Math.max(0, ms(endedAt) - ms(startedAt)) : null,
    talkMs: endedAt ? (answeredAt ? Math.max(0, ms(endedAt) - ms(answeredAt)) : 0) : null,
    hangupCause: hangup.cause,
    hangupCauseText: hangup.text,
    closedBy,
    endEstimated: closedBy === 'resync' || closedBy === 'stale',
    backfilled: state.backfilled === true,
    route: state.route ?? null,
    legs: state.legs.map(toLeg),
    eventCount: state.eventCount,
    updatedAt: state.lastEventAt,
  };
}
