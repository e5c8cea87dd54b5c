import type { Presence, RoutingSnapshot } from './objects/model.ts';
import { startFlow, step } from './flow/machine.ts';
import type { FlowState } from './flow/state.ts';
import type { FlowCommand, FlowContext, FlowEvent, RoutingStep } from './flow/types.ts';

// "Where would this call go?" (POST /api/routing/simulate): drives the same flow machine as live calls, answering
// its commands from a script instead of Asterisk. Playbacks end at once; each digits[] entry is pressed when the
// machine waits for keys (a multi-character entry key by key); timers fire in order of their due time on a
// simulated clock starting at `at`; phones in answeredBy answer, others ring until a timer gives up. Pure.

export interface SimulateInput {
  number: string;
  from: string | null;
  /** The moment of the call, ms since the epoch (schedules are evaluated at it, then on the simulated clock). */
  at: number;
  /** Key entries, in order: IVR choices, direct-dialled numbers, conference pins ('#' ends a multi-digit entry). */
  digits: string[];
  /** Extension numbers (or outside numbers) that answer when rung; default nobody. */
  answeredBy?: string[];
  /** Phone state by extension number; default idle. */
  presence?: Record<string, Presence>;
  /** Verifies a conference pin against its hash (the API passes the scrypt check); default: no pin matches. */
  checkPin?: (hash: string, pin: string) => boolean;
  /** Participants already in a room, by room id; default 0. */
  conferenceSizes?: Record<string, number>;
}

export interface SimulateResult {
  steps: RoutingStep[];
  outcome: string;
}

/** Events the simulator feeds at most: far above any real path (32 destinations), a guard against a stuck script. */
export const SIMULATE_MAX_EVENTS = 1000;
/** How long the simulated caller speaks into a voicemail box. */
export const SIMULATED_MESSAGE_S = 10;

const CALLER = 'sim:caller';

interface PendingTimer {
  timerId: string;
  due: number;
  order: number;
}

export function simulateRoute(config: RoutingSnapshot, input: SimulateInput): SimulateResult {
  const presenceById = new Map<string, Presence>();
  for (const ext of config.extensions.values()) {
    const p = input.presence?.[ext.number];
    if (p) presenceById.set(ext.id, p);
  }
  const answeredBy = new Set(input.answeredBy ?? []);
  let clock = input.at;
  const ctx = (): FlowContext => ({
    config,
    now: clock,
    presence: (id) => presenceById.get(id) ?? 'idle',
    checkPin: input.checkPin ?? (() => false),
    conferenceSize: (roomId) => input.conferenceSizes?.[roomId] ?? 0,
  });

  const steps: RoutingStep[] = [];
  const immediate: FlowEvent[] = [];
  let timers: PendingTimer[] = [];
  let timerOrder = 0;
  let done = false;
  let voicemailBox: string | null = null;

  const apply = (commands: FlowCommand[]): void => {
    for (const c of commands) {
      switch (c.type) {
        case 'step':
          steps.push(c.step);
          break;
        case 'play':
          immediate.push({ type: 'playback-finished', playbackId: c.playbackId });
          break;
        case 'stop-playback':
          removeWhere(immediate, (e) => e.type === 'playback-finished' && e.playbackId === c.playbackId);
          break;
        case 'originate':
          immediate.push(...originated(config, c, answeredBy, presenceById));
          break;
        case 'hangup':
          removeWhere(immediate, (e) => 'channelId' in e && e.channelId === c.channelId);
          break;
        case 'record':
          immediate.push({ type: 'recording-finished', recordingId: c.recordingId, durationS: Math.min(c.maxDurationS, SIMULATED_MESSAGE_S) });
          break;
        case 'start-timer':
          timers.push({ timerId: c.timerId, due: clock + c.ms, order: timerOrder++ });
          break;
        case 'cancel-timer':
          timers = timers.filter((t) => t.timerId !== c.timerId);
          break;
        case 'voicemail-left':
          voicemailBox = c.boxId;
          break;
        case 'done':
          done = true;
          break;
        case 'answer':
        case 'bridge':
        case 'stop-recording':
        case 'ringback':
        case 'record-call':
        case 'ring-group-advanced':
          break;
        default: {
          const never: never = c;
          return never;
        }
      }
    }
  };

  const started = startFlow('sim', { type: 'started', channelId: CALLER, from: input.from, callerName: null, dialed: input.number }, ctx());
  let state: FlowState = started.state;
  apply(started.commands);

  const keys = new KeyScript(input.digits);
  let events = 0;
  for (; events < SIMULATE_MAX_EVENTS && !done; events += 1) {
    const phase = state.phase;
    if (phase.phase === 'bridged' || phase.phase === 'in-conference') break;
    let event = immediate.shift();
    if (!event) {
      const digit = keys.next(state);
      if (digit !== null) event = { type: 'dtmf', channelId: CALLER, digit };
    }
    if (!event && timers.length > 0) {
      const first = timers.reduce((a, b) => (b.due < a.due || (b.due === a.due && b.order < a.order) ? b : a));
      timers = timers.filter((t) => t !== first);
      clock = Math.max(clock, first.due);
      event = { type: 'timer', timerId: first.timerId };
    }
    if (!event) break;
    const r = step(state, event, ctx());
    state = r.state;
    apply(r.commands);
  }
  return { steps, outcome: outcomeOf(config, state, steps, voicemailBox, events >= SIMULATE_MAX_EVENTS) };
}

/** Feeds the digit entries: a new entry only when the machine waits for keys with none typed yet. */
class KeyScript {
  private entry = 0;
  private pending: string[] = [];

  constructor(private readonly entries: string[]) {}

  next(state: FlowState): string | null {
    const p = state.phase;
    const collecting = p.phase === 'ivr-collecting' || (p.phase === 'conference-pin' && p.playbackId === null);
    if (!collecting) return null;
    if (this.pending.length === 0) {
      // Mid-entry (a direct-dial number waiting for its inter-digit timer) the next entry must not run into it.
      if (p.digits !== '' || this.entry >= this.entries.length) return null;
      this.pending = [...(this.entries[this.entry] ?? '')];
      this.entry += 1;
    }
    return this.pending.shift() ?? null;
  }
}

function originated(
  config: RoutingSnapshot,
  c: Extract<FlowCommand, { type: 'originate' }>,
  answeredBy: Set<string>,
  presence: Map<string, Presence>,
): FlowEvent[] {
  if (c.extensionId !== null) {
    const ext = config.extensions.get(c.extensionId);
    if (presence.get(c.extensionId) === 'unavailable') return [{ type: 'hangup', channelId: c.channelId, cause: 20 }];
    return ext && answeredBy.has(ext.number) ? [{ type: 'answered', channelId: c.channelId }] : [];
  }
  // An outside number: `PJSIP/<number>@<trunk>`.
  const number = c.endpoint.replace(/^PJSIP\//, '').replace(/@.*$/, '');
  return answeredBy.has(number) ? [{ type: 'answered', channelId: c.channelId }] : [];
}

function outcomeOf(config: RoutingSnapshot, state: FlowState, steps: RoutingStep[], box: string | null, bounded: boolean): string {
  const p = state.phase;
  if (p.phase === 'bridged') {
    if (p.extensionId === null) {
      const external = steps.findLast((s) => s.kind === 'external');
      return `answered by ${external?.kind === 'external' ? external.number : 'an outside number'}`;
    }
    const ext = config.extensions.get(p.extensionId);
    return ext ? `answered by ${ext.number} (${ext.name})` : `answered by ${p.extensionId}`;
  }
  if (p.phase === 'in-conference') {
    return `joined conference ${config.conferences.get(p.roomId)?.name ?? p.roomId}${p.host ? ' as host' : ''}`;
  }
  if (p.phase === 'ended') {
    if (box !== null) return `voicemail left in ${config.voicemailBoxes.get(box)?.name ?? box}`;
    const hangup = steps.findLast((s) => s.kind === 'hangup');
    return `ended: ${hangup?.kind === 'hangup' ? hangup.reason : 'call over'}`;
  }
  return bounded ? `stopped after ${SIMULATE_MAX_EVENTS} events in ${p.phase}` : `waiting in ${p.phase}`;
}

function removeWhere<T>(items: T[], match: (item: T) => boolean): void {
  for (let i = items.length - 1; i >= 0; i -= 1) if (match(items[i] as T)) items.splice(i, 1);
}
