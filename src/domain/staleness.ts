// Which open calls the stale-call sweep closes, and which it first asks Asterisk about. Pure: every time is
// an argument (the engine's clock, in milliseconds) and nothing here reads a clock. The runtime
// (src/app/stale-sweep.ts) gathers the inputs, asks Asterisk, and closes calls through the pipeline with
// engine-made CallflowChannelGone events that carry the reason, so a rebuild from events gives the same record.
//
// Event times are Asterisk's and can be far from the engine's clock (a recorded trace posted today carries
// last year's times), so silence is measured on the engine's clock: when the sweep last saw the call change.

/** Why the sweep closed a call: stored as the `reason` of its CallflowChannelGone events. */
export const SWEEP_REASONS = ['stale', 'disconnected', 'unconfigured'] as const;
export type SweepReason = (typeof SWEEP_REASONS)[number];

export function isSweepReason(value: unknown): value is SweepReason {
  return typeof value === 'string' && (SWEEP_REASONS as readonly string[]).includes(value);
}

/** What the engine can learn about one server's calls now. */
export type ServerReach =
  /** An Asterisk whose events socket is up: it can be asked whether a call's channels still exist. */
  | { kind: 'connected' }
  /** An Asterisk whose events socket has been down since `sinceMs`: no hangup of its calls can arrive. */
  | { kind: 'disconnected'; sinceMs: number }
  /** A source nobody can ask (the simulator): a call's silence is all there is to go by. */
  | { kind: 'unaskable' }
  /** No source of this run feeds the server: events posted to the API, or a server no longer configured. */
  | { kind: 'unconfigured' };

export interface SweepLimits {
  /** Silence after which a call is stale: asked about when its Asterisk can be asked, closed otherwise. */
  staleAfterMs: number;
  /** How long a server may be out of reach (socket down, or not configured) before its silent calls close. */
  disconnectedGraceMs: number;
}

/** What the sweep knows of one open call. */
export interface CallActivity {
  /** The call's event count when last looked at: a different count means events arrived since. */
  eventCount: number;
  /**
   * When the sweep last saw the call change, or Asterisk confirmed one of its channels alive. Null when
   * neither happened in this run: a call restored from the store at start-up, untouched since.
   */
  activeAtMs: number | null;
}

export type SweepVerdict =
  | { action: 'keep' }
  /** Ask Asterisk about the call's open channels: close it as stale only if none of them exists. */
  | { action: 'ask' }
  | { action: 'close'; reason: SweepReason };

const KEEP: SweepVerdict = { action: 'keep' };
const ASK: SweepVerdict = { action: 'ask' };
const close = (reason: SweepReason): SweepVerdict => ({ action: 'close', reason });

/**
 * The verdict on one open call. `runStartedAtMs` stands in for the last news of a call restored at
 * start-up: its silence before the restart is not counted, so a restart never closes a call by itself.
 */
export function sweepVerdict(call: CallActivity, reach: ServerReach, nowMs: number, runStartedAtMs: number, limits: SweepLimits): SweepVerdict {
  const lastNewsMs = call.activeAtMs ?? runStartedAtMs;
  const stale = nowMs - lastNewsMs >= limits.staleAfterMs;
  switch (reach.kind) {
    case 'connected':
      return stale ? ASK : KEEP;
    case 'disconnected':
      // Nothing can be asked and no hangup can arrive: wait out the grace, counted from the later of the
      // disconnect and the call's last news (events may still be posted under the server's name).
      return nowMs - Math.max(lastNewsMs, reach.sinceMs) >= limits.disconnectedGraceMs ? close('disconnected') : KEEP;
    case 'unaskable':
      return stale ? close('stale') : KEEP;
    case 'unconfigured':
      // A call of the previous run whose server no source feeds now: nothing will ever end it. A call that
      // got events in this run is being fed through the API and ends like any silent call.
      if (call.activeAtMs === null && nowMs - runStartedAtMs >= limits.disconnectedGraceMs) return close('unconfigured');
      return stale ? close('stale') : KEEP;
  }
}

/**
 * What the sweep knows of the calls open now, from what it knew before: a call new to it, or whose event
 * count changed, was active at `nowMs`. Calls no longer open are forgotten.
 */
export function observeCalls(
  known: ReadonlyMap<string, CallActivity>,
  open: Iterable<{ id: string; eventCount: number }>,
  nowMs: number,
): Map<string, CallActivity> {
  const next = new Map<string, CallActivity>();
  for (const call of open) {
    const before = known.get(call.id);
    next.set(call.id, before !== undefined && before.eventCount === call.eventCount ? before : { eventCount: call.eventCount, activeAtMs: nowMs });
  }
  return next;
}
