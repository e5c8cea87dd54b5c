import type { CallRecord, Leg } from '../domain/call.ts';
import type { LiveChange } from './live-protocol.ts';
import type { LiveMessage } from './pipeline.ts';

// The live stream's view of a call, and frames encoded once for every client.
//
// The stream shows calls to people; the full record stays one request away (GET /api/calls/:id). So every
// text in a live message is capped and a call brings at most MAX_LIVE_LEGS legs: a multi-megabyte caller
// name costs the stream a few hundred bytes, and one frame can never grow past a few hundred kilobytes.

/** Longest text (in UTF-16 units) a live message carries; longer ones end with an ellipsis. */
export const MAX_LIVE_TEXT = 256;
/** Legs a live message carries per call, the first ones (the detail view shows them all). */
export const MAX_LIVE_LEGS = 64;

const LEG_TEXTS = ['channelId', 'name', 'endpoint', 'state', 'callerNumber', 'callerName', 'connectedNumber', 'context', 'exten', 'causeText'] as const;
const CALL_TEXTS = ['id', 'server', 'from', 'to', 'hangupCauseText'] as const;

function cap(text: string): string {
  return text.length <= MAX_LIVE_TEXT ? text : `${text.slice(0, MAX_LIVE_TEXT - 1)}…`;
}

function isLong(text: string | null): boolean {
  return text !== null && text.length > MAX_LIVE_TEXT;
}

function legFits(leg: Leg): boolean {
  return !LEG_TEXTS.some((key) => isLong(leg[key]));
}

function cappedLeg(leg: Leg): Leg {
  if (legFits(leg)) return leg;
  const out: Leg = { ...leg };
  for (const key of LEG_TEXTS) {
    const value = out[key];
    if (value !== null) out[key] = cap(value);
  }
  return out;
}

/** The call as the live stream shows it: the same object when nothing in it is too long (the usual case). */
export function liveCall(call: CallRecord): CallRecord {
  const fits = call.legs.length <= MAX_LIVE_LEGS && !CALL_TEXTS.some((key) => isLong(call[key])) && call.legs.every(legFits);
  if (fits) return call;
  const out: CallRecord = { ...call, legs: call.legs.slice(0, MAX_LIVE_LEGS).map(cappedLeg) };
  for (const key of CALL_TEXTS) {
    const value = out[key];
    if (value !== null) out[key] = cap(value);
  }
  return out;
}

/** One committed change as it goes on the wire, numbered. */
export function liveChange(seq: number, message: LiveMessage): LiveChange {
  return message.type === 'call.merged'
    ? { seq, type: message.type, from: cap(message.from), into: cap(message.into) }
    : { seq, type: message.type, call: liveCall(message.call) };
}

/**
 * A message as the bytes of one text frame. Sent as a Buffer, the same bytes go to every client: the
 * WebSocket library writes them to each socket without copying (server frames are not masked).
 */
export function encodeFrame(message: object): Buffer {
  return Buffer.from(JSON.stringify(message));
}
