import { extensionOutcome } from './extension.ts';
import { CAUSE, type Tx } from './ids.ts';
import { groupLegGone, groupRingNext, groupTotalTimeout } from './ring-group.ts';
import type { Leg, Phase } from './state.ts';
import type { FlowContext, FlowEvent, RecordPolicy } from './types.ts';

// Ringing, whoever is rung (an extension, a ring group's members, an outside number): the caller stays unanswered
// while phones ring, so the carrier's ringback plays and the caller is not billed for the wait; the first leg to
// answer wins: the others are hung up (answered elsewhere), the caller is answered and bridged to it.

export type RingingPhase = Extract<Phase, { phase: 'ringing' }>;
export type LegOutcome = 'busy' | 'noAnswer' | 'unreachable';

/** An outside number waits this long for an answer (it has no ring timeout of its own). */
export const EXTERNAL_RING_S = 60;

export function originate(tx: Tx, endpoint: string, extensionId: string | null, timeoutS: number): Leg {
  const channelId = tx.id('c');
  tx.emit({
    type: 'originate',
    channelId,
    endpoint,
    callerId: { name: tx.call.callerName, number: tx.call.from },
    timeoutS,
    extensionId,
  });
  return { channelId, extensionId };
}

export function hangUpLegs(tx: Tx, legs: Leg[], cause: number): void {
  for (const leg of legs) tx.emit({ type: 'hangup', channelId: leg.channelId, cause });
}

/** Everything a ringing phase holds: on leaving it (an answer, a timeout, the caller hanging up). */
export function releaseRinging(tx: Tx, phase: RingingPhase, cause: number): void {
  tx.cancelTimer(phase.timerId);
  if (phase.target.kind === 'ring-group') tx.cancelTimer(phase.target.totalTimerId);
  hangUpLegs(tx, phase.legs, cause);
}

export function enterExternal(tx: Tx, ctx: FlowContext, number: string): Phase {
  tx.step({ kind: 'external', number });
  const trunk = ctx.config.outboundEndpoint;
  if (!trunk) return tx.end('no outbound endpoint for external numbers', CAUSE.absent);
  const leg = originate(tx, `PJSIP/${number}@${trunk}`, null, EXTERNAL_RING_S);
  return { phase: 'ringing', target: { kind: 'external', number }, legs: [leg], timerId: tx.timer(EXTERNAL_RING_S * 1000) };
}

export function onRinging(tx: Tx, ctx: FlowContext, phase: RingingPhase, event: FlowEvent): Phase {
  switch (event.type) {
    case 'answered': {
      const leg = phase.legs.find((l) => l.channelId === event.channelId);
      return leg ? bridgeTo(tx, ctx, phase, leg) : phase;
    }
    case 'hangup':
    case 'command-failed': {
      const leg = phase.legs.find((l) => l.channelId === event.channelId);
      if (!leg) return phase;
      const outcome = event.type === 'hangup' ? outcomeOfCause(event.cause) : 'unreachable';
      const rest = { ...phase, legs: phase.legs.filter((l) => l !== leg) };
      return legGone(tx, ctx, rest, outcome);
    }
    case 'timer': {
      if (phase.target.kind === 'ring-group' && event.timerId === phase.target.totalTimerId) {
        tx.cancelTimer(phase.timerId);
        hangUpLegs(tx, phase.legs, CAUSE.noAnswer);
        return groupTotalTimeout(tx, ctx, phase.target);
      }
      if (event.timerId !== phase.timerId) return phase;
      hangUpLegs(tx, phase.legs, CAUSE.noAnswer);
      const expired = { ...phase, legs: [], timerId: null };
      if (phase.target.kind === 'ring-group') return groupRingNext(tx, ctx, phase.target);
      return targetLost(tx, ctx, expired, 'noAnswer');
    }
    case 'started':
    case 'dtmf':
    case 'playback-finished':
    case 'ringing':
    case 'recording-finished':
      return phase;
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** A leg ended before answering: a group rings on; a single target's leg was the only one. */
function legGone(tx: Tx, ctx: FlowContext, rest: RingingPhase, outcome: LegOutcome): Phase {
  if (rest.target.kind === 'ring-group') return groupLegGone(tx, ctx, rest, rest.target);
  tx.cancelTimer(rest.timerId);
  return targetLost(tx, ctx, { ...rest, timerId: null }, outcome);
}

function targetLost(tx: Tx, ctx: FlowContext, phase: RingingPhase, outcome: LegOutcome): Phase {
  const target = phase.target;
  switch (target.kind) {
    case 'extension':
      return extensionOutcome(tx, ctx, target.extensionId, outcome);
    case 'external':
      return tx.end(outcome === 'busy' ? `${target.number} busy` : `${target.number} did not answer`, CAUSE[outcome === 'busy' ? 'busy' : 'noAnswer']);
    case 'ring-group':
      return groupRingNext(tx, ctx, target);
    default: {
      const never: never = target;
      return never;
    }
  }
}

function bridgeTo(tx: Tx, ctx: FlowContext, phase: RingingPhase, winner: Leg): Phase {
  releaseRinging(tx, { ...phase, legs: phase.legs.filter((l) => l !== winner) }, CAUSE.answeredElsewhere);
  tx.answer();
  const bridgeId = tx.id('b');
  tx.emit({ type: 'bridge', bridgeId, channelIds: [tx.call.callerChannelId, winner.channelId] });
  tx.step({ kind: 'answered', extensionId: winner.extensionId, channelId: winner.channelId });
  const policy = recordPolicyOf(ctx, tx.call.dialed, winner.extensionId);
  if (policy !== null) {
    const recordingId = tx.id('r');
    tx.emit({ type: 'record-call', bridgeId, recordingId, policy });
    tx.step({ kind: 'recording', recordingId, policy });
  }
  return { phase: 'bridged', bridgeId, peerChannelId: winner.channelId, extensionId: winner.extensionId };
}

/** Whether the conversation is recorded, and why: the number called records its calls, or the extension that answered. */
export function recordPolicyOf(ctx: FlowContext, dialed: string, extensionId: string | null): RecordPolicy | null {
  if (ctx.config.numbers.get(dialed)?.record) return 'number';
  if (extensionId !== null && ctx.config.extensions.get(extensionId)?.record) return 'extension';
  return null;
}

/** Q.850 cause of a leg that ended unanswered → which forwarding rule applies. */
export function outcomeOfCause(cause: number): LegOutcome {
  if (cause === CAUSE.busy) return 'busy';
  // unallocated, no route, subscriber absent, destination out of order, network out of order
  if ([1, 3, 20, 27, 38].includes(cause)) return 'unreachable';
  return 'noAnswer';
}
