// The times a resync gives what it could not see. Asterisk keeps no history: after a reconnect it tells only
// which channels exist now, so when a call ended, or when a channel found up was answered, while the engine
// was not reading its events is not known. These are the estimates the engine stores instead (the records
// say so: `endEstimated`, `answerEstimated`). Pure: every time is an argument, ISO-8601 UTC texts.

function later(a: string, b: string): string {
  return a >= b ? a : b;
}

function earlier(a: string, b: string): string {
  return a <= b ? a : b;
}

/**
 * When a call a resync found gone ended: the last event the engine received from its server before the resync
 * (the engine saw it alive up to the moment it lost sight of the server), or the call's own last event if that
 * is later (an event stamped by a clock ahead of the others), but never after the resync itself.
 */
export function goneCallEnd(callLastEventAt: string, serverLastHeardAt: string | null, resyncAt: string): string {
  const seenUntil = serverLastHeardAt === null ? callLastEventAt : later(callLastEventAt, serverLastHeardAt);
  return earlier(seenUntil, resyncAt);
}

/**
 * The time of the event that tells a call the engine knew that one of its channels is up: its last event
 * before the resync, the earliest moment it can have been answered unseen (transition.ts takes the event's
 * time as the estimated answer), but never after the resync itself.
 */
export function foundUpAt(callLastEventAt: string, resyncAt: string): string {
  return earlier(callLastEventAt, resyncAt);
}
