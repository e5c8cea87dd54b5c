import type { CallRecord, Leg } from '../domain/call.ts';

// Who is who in a call, as a CRM sees it: the client's number, the line (DID) it came in on or went
// out through, and the employees' extensions. Derived from the call record alone (pure).

export interface CallParties {
  /** The outside party's number; for an internal call, the called extension. */
  clientNumber: string;
  /** The DID an inbound call arrived on; null when unknown. */
  lineNumber: string | null;
  /** Extensions whose phones rang, in the order their legs appeared. */
  ringingExtensions: string[];
  /** The extension that answered; for an outbound call, the one that placed it. */
  answeringExtension: string | null;
  /** The employee to file the call under before anyone answered (caller or first ringing extension). */
  primaryExtension: string | null;
}

const DEFAULT_EXTENSION_PATTERN = /^\d{2,5}$/;

/** `PJSIP/101`, `SIP/101`, `Local/101@from-internal` → `101` when it looks like an extension. */
export function extensionOfLeg(leg: Leg, isExtension: (s: string) => boolean): string | null {
  const slash = leg.endpoint.indexOf('/');
  const resource = slash >= 0 ? leg.endpoint.slice(slash + 1) : leg.endpoint;
  const candidate = resource.split('@')[0] ?? '';
  return candidate !== '' && isExtension(candidate) ? candidate : null;
}

export function extensionMatcher(pattern: string | RegExp | undefined): (s: string) => boolean {
  const re = pattern === undefined ? DEFAULT_EXTENSION_PATTERN : typeof pattern === 'string' ? new RegExp(pattern) : pattern;
  return (s) => re.test(s);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

export function callParties(call: CallRecord, isExtension: (s: string) => boolean): CallParties {
  const [origin, ...others] = call.legs;
  // The first leg is the caller's own channel; every later leg that is a phone is an employee ringing.
  const calleeLegs = others.filter((l) => extensionOfLeg(l, isExtension) !== null);
  const ringingExtensions = unique(calleeLegs.map((l) => extensionOfLeg(l, isExtension) as string));
  const answeredLeg = calleeLegs.find((l) => l.answeredAt !== null);
  const answeredExt = answeredLeg ? extensionOfLeg(answeredLeg, isExtension) : null;

  if (call.direction === 'outbound' || call.direction === 'internal') {
    const caller = isExtension(call.from) ? call.from : origin ? extensionOfLeg(origin, isExtension) : null;
    return {
      clientNumber: call.to,
      lineNumber: null,
      ringingExtensions: call.direction === 'internal' ? ringingExtensions : [],
      answeringExtension: caller,
      primaryExtension: caller,
    };
  }
  const line = call.to !== '' ? call.to : (origin?.exten ?? '');
  return {
    clientNumber: call.from,
    lineNumber: line === '' ? null : line,
    ringingExtensions,
    answeringExtension: answeredExt,
    primaryExtension: answeredExt ?? ringingExtensions[0] ?? (isExtension(call.to) ? call.to : null),
  };
}
