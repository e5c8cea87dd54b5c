// Q.850 hangup causes as Asterisk reports them in ChannelDestroyed, and what each means for a call.

const CAUSE_TEXT: Record<number, string> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  2: 'No route to specified transmit network',
  3: 'No route to destination',
  6: 'Channel unacceptable',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  20: 'Subscriber absent',
  21: 'Call Rejected',
  22: 'Number changed',
  27: 'Destination out of order',
  28: 'Invalid number format',
  29: 'Facility rejected',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  41: 'Temporary failure',
  42: 'Switching equipment congestion',
  44: 'Requested channel not available',
  50: 'Requested facility not subscribed',
  58: 'Bearer capability not available',
  65: 'Bearer capability not implemented',
  66: 'Channel type not implemented',
  69: 'Requested facility not implemented',
  81: 'Invalid call reference value',
  88: 'Incompatible destination',
  95: 'Invalid message unspecified',
  102: 'Recovery on timer expiry',
  111: 'Protocol error, unspecified',
  127: 'Interworking, unspecified',
};

/** True for a Q.850 cause that says something: listed above, and not 0 (unknown). */
export function isKnownCause(cause: number | null): cause is number {
  return cause !== null && cause !== 0 && CAUSE_TEXT[cause] !== undefined;
}

export function causeText(cause: number | null): string | null {
  if (cause === null) return null;
  return CAUSE_TEXT[cause] ?? `Cause ${cause}`;
}

/** What a cause says about an unanswered call's outcome; null when it says nothing specific. */
export type CauseOutcome = 'busy' | 'no_answer' | 'congestion' | 'failed' | 'cancelled';

export function outcomeOfCause(cause: number | null): CauseOutcome | null {
  switch (cause) {
    case 17:
      return 'busy';
    case 18:
    case 19:
    case 20:
      return 'no_answer';
    case 34:
    case 38:
    case 41:
    case 42:
    case 44:
    case 47:
      return 'congestion';
    case 1:
    case 2:
    case 3:
    case 21:
    case 22:
    case 27:
    case 28:
    case 29:
    case 58:
    case 65:
    case 66:
    case 69:
    case 88:
    case 111:
      return 'failed';
    default:
      // 0 (torn down), 16 / 31 (normal clearing before answer), 127 (SIP CANCEL): the caller gave up.
      return null;
  }
}
