import { startFlow, step } from './flow/machine.ts';
import type { FlowState, Phase } from './flow/state.ts';
import type { FlowCommand, FlowContext, FlowEvent, RoutingStep } from './flow/types.ts';

// A call driven through the flow machine by a test, and compact views of the commands it produced.

/** Drives one call through the machine as a test would: events in, commands out, state kept. */
export class TestCall {
  state: FlowState;
  /** Commands of the last event (or of the start). */
  last: FlowCommand[];
  /** Every command so far. */
  readonly all: FlowCommand[] = [];
  /** Every event sent after the start. */
  readonly events: FlowEvent[] = [];

  constructor(
    readonly ctx: FlowContext,
    dialed = '+4930100',
    from: string | null = '+4917000',
  ) {
    const r = startFlow('f', { type: 'started', channelId: 'caller', from, callerName: 'Eve', dialed }, ctx);
    this.state = r.state;
    this.last = r.commands;
    this.all.push(...r.commands);
  }

  get phase(): Phase {
    return this.state.phase;
  }

  send(event: FlowEvent): FlowCommand[] {
    this.events.push(event);
    const r = step(this.state, event, this.ctx);
    this.state = r.state;
    this.last = r.commands;
    this.all.push(...r.commands);
    return r.commands;
  }

  /** The current phase's playback ends. */
  playbackDone(): FlowCommand[] {
    const p = this.phase;
    const playbackId = 'playbackId' in p ? p.playbackId : null;
    if (!playbackId) throw new Error(`no playback in ${p.phase}`);
    return this.send({ type: 'playback-finished', playbackId });
  }

  /** The current phase's (ringing: per-attempt) timer fires. */
  timerFires(which: 'phase' | 'total' = 'phase'): FlowCommand[] {
    const p = this.phase;
    let timerId: string | null = null;
    if (which === 'total' && p.phase === 'ringing' && p.target.kind === 'ring-group') timerId = p.target.totalTimerId;
    else if (which === 'phase' && 'timerId' in p) timerId = p.timerId;
    if (!timerId) throw new Error(`no ${which} timer in ${p.phase}`);
    return this.send({ type: 'timer', timerId });
  }

  press(keys: string): FlowCommand[] {
    const out: FlowCommand[] = [];
    for (const digit of keys) out.push(...this.send({ type: 'dtmf', channelId: 'caller', digit }));
    return out;
  }

  /** Channel ids of the legs ringing now, with their extension ids. */
  legs(): { channelId: string; extensionId: string | null }[] {
    return this.phase.phase === 'ringing' ? this.phase.legs : [];
  }

  legOf(extensionId: string): string {
    const leg = this.legs().find((l) => l.extensionId === extensionId);
    if (!leg) throw new Error(`${extensionId} is not ringing`);
    return leg.channelId;
  }
}

export const stepsOf = (commands: FlowCommand[]): RoutingStep[] =>
  commands.flatMap((c) => (c.type === 'step' ? [c.step] : []));

export const kindsOf = (commands: FlowCommand[]): string[] => stepsOf(commands).map((s) => s.kind);

/** Commands other than steps, as "type target" strings: a compact picture of what the runtime is asked to do. */
export function actionsOf(commands: FlowCommand[]): string[] {
  return commands.flatMap((c): string[] => {
    switch (c.type) {
      case 'step':
        return [];
      case 'answer':
        return [`answer ${c.channelId}`];
      case 'play':
        return [`play ${c.playbackId}`];
      case 'stop-playback':
        return [`stop-playback ${c.playbackId}`];
      case 'ringback':
        return [`ringback ${c.playbackId}`];
      case 'originate':
        return [`originate ${c.channelId} ${c.endpoint} ${c.timeoutS}s`];
      case 'hangup':
        return [`hangup ${c.channelId} ${c.cause}`];
      case 'bridge':
        return [`bridge ${c.bridgeId} ${c.channelIds.join(',')}`];
      case 'record':
        return [`record ${c.recordingId} ${c.maxDurationS}s${c.beep ? ' beep' : ''}`];
      case 'stop-recording':
        return [`stop-recording ${c.recordingId}`];
      case 'record-call':
        return [`record-call ${c.bridgeId} ${c.recordingId} ${c.policy}`];
      case 'start-timer':
        return [`timer ${c.timerId} ${c.ms}ms`];
      case 'cancel-timer':
        return [`cancel ${c.timerId}`];
      case 'ring-group-advanced':
        return [`advanced ${c.groupId} ${c.nextIndex}`];
      case 'voicemail-left':
        return [`voicemail-left ${c.boxId} ${c.recordingId} ${c.durationS}s`];
      case 'done':
        return ['done'];
      default: {
        const never: never = c;
        return never;
      }
    }
  });
}

/** Where the call is, in a word or two: `voicemail <box>`, `ring <extension>`, `hangup <cause>: <reason>`, or the phase. */
export function where(call: TestCall): string {
  const p = call.phase;
  if (p.phase === 'voicemail-greeting' || p.phase === 'voicemail-recording') return `voicemail ${p.boxId}`;
  if (p.phase === 'ringing' && p.target.kind === 'extension') return `ring ${p.target.extensionId}`;
  if (p.phase === 'ringing' && p.target.kind === 'ring-group') return `ring ${p.legs.map((l) => l.extensionId).join(',')}`;
  if (p.phase === 'ended') {
    const hangup = call.all.findLast((c) => c.type === 'hangup' && c.channelId === 'caller');
    const reason = stepsOf(call.all).findLast((s) => s.kind === 'hangup');
    return `hangup ${hangup?.type === 'hangup' ? hangup.cause : '-'}: ${reason?.kind === 'hangup' ? reason.reason : '-'}`;
  }
  return p.phase;
}

/** Timers started and neither cancelled nor fired, and originated channels not hung up (by the flow or the far end). */
export function leftovers(call: TestCall): { timers: string[]; channels: string[] } {
  const timers = new Set<string>();
  const channels = new Set<string>();
  for (const c of call.all) {
    if (c.type === 'start-timer') timers.add(c.timerId);
    if (c.type === 'cancel-timer') timers.delete(c.timerId);
    if (c.type === 'originate') channels.add(c.channelId);
    if (c.type === 'hangup') channels.delete(c.channelId);
  }
  for (const e of call.events) {
    if (e.type === 'timer') timers.delete(e.timerId);
    if (e.type === 'hangup' || e.type === 'command-failed') channels.delete(e.channelId);
  }
  return { timers: [...timers], channels: [...channels] };
}

