import type { Disposition } from './call.ts';
import type { DialFact, LegState } from './call-state.ts';
import { outcomeOfCause } from './causes.ts';

// How a finished call ended, from its own dial results and ChannelDestroyed causes
// (never from ChannelHangupRequest causes, which can be internal values). See docs/call-states.md.

function ofDialStatus(status: string): Disposition {
  switch (status) {
    case 'ANSWER':
      return 'answered';
    case 'BUSY':
      return 'busy';
    case 'NOANSWER':
      return 'no_answer';
    case 'CONGESTION':
      return 'congestion';
    case 'CANCEL':
      return 'cancelled';
    default:
      // CHANUNAVAIL, DONTCALL, TORTURE, INVALIDARGS: the destination could not be reached.
      return 'failed';
  }
}

export interface DispositionInput {
  firstLeg: LegState;
  /** The first channel and its Local twin: the side that started the call. */
  originIds: ReadonlySet<string>;
  legs: readonly LegState[];
  dials: readonly DialFact[];
}

export function decideDisposition({ firstLeg, originIds, legs, dials }: DispositionInput): Disposition {
  // 1. Attempts to reach a destination (a dialplan Dial() from one of our legs, or an ARI dial of a new leg).
  const destination = dials.filter((d) => !originIds.has(d.peerId));
  if (destination.some((d) => d.status === 'ANSWER')) return 'answered';
  const lastDestination = destination[destination.length - 1];
  if (lastDestination) return ofDialStatus(lastDestination.status);

  // 2. Nothing was dialled: answered when the call's own first channel was answered (app, IVR, voicemail).
  if (firstLeg.answeredAt !== null) return 'answered';

  // 3. An originated first channel whose own dial failed on its own (not because it was hung up first).
  const originDial = dials.filter((d) => originIds.has(d.peerId) && d.callerId === null).pop();
  if (originDial && originDial.status !== 'ANSWER') {
    const hungUpFirst = firstLeg.hangupRequestOrder !== null && firstLeg.hangupRequestOrder < originDial.order;
    if (!hungUpFirst) return ofDialStatus(originDial.status);
  }

  // 4. The causes: the first channel's, then any other leg's that says something specific.
  const fromFirst = outcomeOfCause(firstLeg.end?.cause ?? null);
  if (fromFirst) return fromFirst;
  for (const leg of legs) {
    const outcome = outcomeOfCause(leg.end?.cause ?? null);
    if (outcome) return outcome;
  }
  // Ended before anyone answered, with a normal or unknown cause: the caller gave up.
  return 'cancelled';
}
