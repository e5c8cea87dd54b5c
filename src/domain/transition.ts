import type { CallState, DialFact, LegEnd, LegState } from './call-state.ts';
import { routeWithStep, withLegAdded } from './call-state.ts';
import { isKnownCause } from './causes.ts';
import type { CallEvent, ChannelSnapshot } from './events.ts';

// The call state machine: a pure fold of normalized events into call facts. No I/O, no clock:
// `order` is the event's arrival position, `at` comes from the event itself.

/** Dial statuses that end an attempt; `''`, RINGING, PROGRESS and PROCEEDING are on the way. */
const FINAL_DIAL = new Set(['ANSWER', 'BUSY', 'NOANSWER', 'CONGESTION', 'CANCEL', 'CHANUNAVAIL', 'DONTCALL', 'TORTURE', 'INVALIDARGS']);

export function isFinalDialStatus(status: string): boolean {
  return FINAL_DIAL.has(status);
}

/**
 * One instance for equal texts. Every event brings fresh copies of the same ids, numbers, names and
 * times, and an open call would keep several of them; the registry passes a pool (grouping.ts) and
 * only texts a call is about to keep go through it. The state is the same with or without one.
 */
export interface TextSharing {
  share(text: string): string;
}

const UNSHARED: TextSharing = { share: (text) => text };

function newLeg(snap: ChannelSnapshot, at: string, seenCreated: boolean, texts: TextSharing): LegState {
  return {
    channelId: texts.share(snap.id),
    name: snap.name,
    state: texts.share(snap.state),
    callerNumber: texts.share(snap.callerNumber),
    callerName: texts.share(snap.callerName),
    connectedNumber: texts.share(snap.connectedNumber),
    context: texts.share(snap.context),
    exten: texts.share(snap.exten),
    createdAt: snap.createdAt ? texts.share(snap.createdAt) : at,
    answeredAt: snap.state === 'Up' ? at : null,
    answerEstimated: false,
    end: null,
    seenCreated,
    hangupRequestOrder: null,
    hangupRequestCause: null,
  };
}

/**
 * A copy of `leg` with `changes` applied. Built from a literal naming every field: a spread with
 * overrides gives legs an out-of-object property store, about 130 bytes more per leg held.
 */
function legWith(leg: LegState, changes: Partial<LegState>): LegState {
  const copy: LegState = {
    channelId: leg.channelId,
    name: leg.name,
    state: leg.state,
    callerNumber: leg.callerNumber,
    callerName: leg.callerName,
    connectedNumber: leg.connectedNumber,
    context: leg.context,
    exten: leg.exten,
    createdAt: leg.createdAt,
    answeredAt: leg.answeredAt,
    answerEstimated: leg.answerEstimated,
    end: leg.end,
    seenCreated: leg.seenCreated,
    hangupRequestOrder: leg.hangupRequestOrder,
    hangupRequestCause: leg.hangupRequestCause,
  };
  return Object.assign(copy, changes);
}

/**
 * A leg refreshed from a newer snapshot of its channel. A snapshot's empty field says nothing: snapshots the
 * engine makes (a resync's, the stale-call sweep's) and some of Asterisk's carry only part of a channel, and
 * must not blank the numbers, names or state the leg already knows.
 */
function refreshed(leg: LegState, snap: ChannelSnapshot, at: string, texts: TextSharing): LegState {
  const answeredAt = leg.answeredAt ?? (snap.state === 'Up' && leg.end === null ? at : null);
  if (
    same(leg.state, snap.state) &&
    same(leg.callerNumber, snap.callerNumber) &&
    same(leg.callerName, snap.callerName) &&
    same(leg.connectedNumber, snap.connectedNumber) &&
    same(leg.name, snap.name) &&
    answeredAt === leg.answeredAt &&
    (leg.context !== '' || snap.context === '')
  ) {
    return leg;
  }
  return legWith(leg, {
    name: kept(leg.name, snap.name, texts),
    state: kept(leg.state, snap.state, texts),
    callerNumber: kept(leg.callerNumber, snap.callerNumber, texts),
    callerName: kept(leg.callerName, snap.callerName, texts),
    connectedNumber: kept(leg.connectedNumber, snap.connectedNumber, texts),
    context: leg.context || texts.share(snap.context),
    exten: leg.exten || texts.share(snap.exten),
    answeredAt,
  });
}

/** True when a snapshot's field changes nothing: equal, or empty. */
function same(current: string, next: string): boolean {
  return next === '' || current === next;
}

/** Equal or empty text keeps the instance the leg holds; a changed one goes through the pool. */
function kept(current: string, next: string, texts: TextSharing): string {
  return next === '' || current === next ? current : texts.share(next);
}

/**
 * A leg a resync found up that the engine never saw answered. When it was answered cannot be known: the
 * estimate is the earliest time it can have been, so talk time is an upper bound. For a channel new to the
 * engine that is its creation; for one it knew, the event's time, which the resync sets to the call's last
 * event before it (src/app/resync.ts).
 */
function foundAnswered(before: LegState | undefined, leg: LegState, at: string): LegState {
  if (leg.answeredAt === null || (before !== undefined && before.answeredAt !== null)) return leg;
  const estimate = before === undefined && leg.createdAt < at ? leg.createdAt : at;
  return legWith(leg, { answeredAt: estimate, answerEstimated: true });
}

function isFoundAtResync(event: CallEvent): boolean {
  return (event.kind === 'channel_update' || event.kind === 'bridge_entered') && event.foundAtResync === true;
}

type LegChange = (leg: LegState) => LegState;

function endWithoutCause(at: string, by: LegEnd['by']): LegEnd {
  return { at, cause: null, causeText: null, techCause: null, by };
}

/**
 * The end the engine gives a leg itself (a resync found its channel gone, or the stale-call sweep): no
 * ChannelDestroyed came, but a hangup request seen before says what the channel was going down with.
 */
function endByEngine(leg: LegState, at: string, by: LegEnd['by']): LegEnd {
  return { at, cause: leg.hangupRequestCause, causeText: null, techCause: null, by };
}

function legSpecific(event: CallEvent, at: string, order: number): LegChange | null {
  switch (event.kind) {
    case 'hangup_request': {
      const cause = isKnownCause(event.cause) ? event.cause : null;
      return (leg) =>
        leg.hangupRequestOrder !== null && (cause === null || cause === leg.hangupRequestCause)
          ? leg
          : legWith(leg, { hangupRequestOrder: leg.hangupRequestOrder ?? order, hangupRequestCause: cause ?? leg.hangupRequestCause });
    }
    case 'channel_destroyed':
      return (leg) =>
        legWith(leg, { end: { at, cause: event.cause, causeText: event.causeText || null, techCause: event.techCause, by: 'hangup' } });
    case 'channel_gone': {
      const by = event.sweepReason === null ? 'resync' : 'stale';
      return (leg) => (leg.end === null ? legWith(leg, { end: endByEngine(leg, at, by) }) : leg);
    }
    case 'stasis_end':
      // Without subscribeAll no ChannelDestroyed follows StasisEnd: a channel we only know from Stasis
      // that is being hung up ends here (its cause stays unknown).
      return (leg) =>
        !leg.seenCreated && leg.hangupRequestOrder !== null && leg.end === null
          ? legWith(leg, { end: endWithoutCause(at, 'hangup') })
          : leg;
    default:
      return null;
  }
}

/**
 * The channel whose leg this event updates first, or null: a Dial's caller (its peer when it has none), a
 * transfer's first channel, any other event's channel. Only a Dial with a caller updates a second leg, its
 * peer's (see applyEvent). No array: this runs per event.
 */
function primarySnapshot(event: CallEvent): ChannelSnapshot | null {
  switch (event.kind) {
    case 'dial':
      return event.caller ?? event.peer;
    case 'transfer':
      return event.channels[0] ?? null;
    case 'recording':
    case 'routing_step':
    case 'other':
      return null;
    default:
      return event.channel;
  }
}

function legIndex(legs: readonly LegState[], channelId: string): number {
  for (let i = 0; i < legs.length; i++) if (legs[i]!.channelId === channelId) return i;
  return -1;
}

export function applyEvent(state: CallState, event: CallEvent, order: number, texts: TextSharing = UNSHARED): CallState {
  const first = primarySnapshot(event);
  const second = event.kind === 'dial' && event.caller !== null ? event.peer : null;
  // The event's time, one instance for all its uses in the state. Not pooled: almost every event has a
  // time of its own, so pooling times only churned the pool (measured: ~10% of the pipeline's time) and
  // saved no memory (memory benchmark unchanged).
  const at = event.at;
  let legs: LegState[] | null = null;
  const count = first === null ? 0 : second === null ? 1 : 2;
  for (let i = 0; i < count; i++) {
    const snap = i === 0 ? first! : second!;
    const current: readonly LegState[] = legs ?? state.legs;
    const index = legIndex(current, snap.id);
    let leg = index >= 0 ? refreshed(current[index]!, snap, at, texts) : newLeg(snap, at, event.kind === 'channel_created', texts);
    if (i === 0) {
      const change = legSpecific(event, at, order);
      if (change) leg = change(leg);
      if (isFoundAtResync(event)) leg = foundAnswered(index >= 0 ? current[index] : undefined, leg, at);
    }
    if (index >= 0 && leg === current[index]) continue;
    if (index >= 0) {
      legs ??= [...state.legs];
      legs[index] = leg;
    } else {
      // Sized exactly (push would reserve room for a dozen more legs in every call), in uniqueid order.
      legs = withLegAdded(current, leg);
    }
  }
  let dials = state.dials;
  if (event.kind === 'dial' && isFinalDialStatus(event.status)) {
    const fact: DialFact = {
      peerId: texts.share(event.peer.id),
      callerId: event.caller ? texts.share(event.caller.id) : null,
      status: event.status,
      at,
      order,
    };
    dials = dials.concat(fact);
  }
  let dialled = state.dialled;
  if (event.kind === 'dial' && event.dialstring !== '' && !dialled.some((d) => d.peerId === event.peer.id)) {
    dialled = dialled.concat({ peerId: texts.share(event.peer.id), callerId: event.caller ? texts.share(event.caller.id) : null, dialstring: event.dialstring });
  }
  const found = state.linkedId === null ? (first?.linkedId ?? second?.linkedId) : null;
  const linkedId = found ? texts.share(found) : state.linkedId;
  // Spelled out rather than spread: this runs once per event, and a literal is much cheaper to build.
  return {
    server: state.server,
    tenantId: state.tenantId,
    legs: legs ?? state.legs,
    dials,
    dialled,
    linkedId,
    eventCount: state.eventCount + 1,
    firstEventAt: state.eventCount === 0 || at < state.firstEventAt ? at : state.firstEventAt,
    lastEventAt: at > state.lastEventAt ? at : state.lastEventAt,
    ...(state.backfilled || event.backfill ? { backfilled: true } : {}),
    ...(event.kind === 'routing_step' ? { route: routeWithStep(state.route, { text: event.text, answeredBy: event.answeredBy, recording: event.step.kind === 'recording' }) } : state.route !== undefined ? { route: state.route } : {}),
  };
}
