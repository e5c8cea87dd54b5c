import type {
  Announcement,
  ConferenceRoom,
  Destination,
  Extension,
  IvrMenu,
  NumberRoute,
  Presence,
  RingGroup,
  RoutingSnapshot,
  Schedule,
  VoicemailBox,
} from './objects/model.ts';
import { startFlow, step } from './flow/machine.ts';
import type { FlowState, Phase } from './flow/state.ts';
import type { FlowCommand, FlowContext, FlowEvent, RoutingStep } from './flow/types.ts';

// Builders of routing objects for the routing tests: complete objects with plain defaults, changed per case.

const stamp = { tenantId: 't1', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };

export function extension(id: string, number: string, over: Partial<Extension> = {}): Extension {
  return {
    ...stamp,
    id,
    number,
    name: `Ext ${number}`,
    endpoint: `acme-${number}`,
    callerIdName: null,
    ringTimeoutS: 20,
    voicemailBoxId: null,
    forward: {},
    record: false,
    enabled: true,
    ...over,
  };
}

export function ringGroup(id: string, extensionIds: string[], over: Partial<RingGroup> = {}): RingGroup {
  return {
    ...stamp,
    id,
    name: `Group ${id}`,
    number: null,
    strategy: 'sequential',
    members: extensionIds.map((extensionId) => ({ extensionId, timeoutS: null })),
    memberTimeoutS: 15,
    turns: 1,
    totalTimeoutS: 120,
    skipBusy: false,
    fallback: { type: 'hangup' },
    nextIndex: 0,
    ...over,
  };
}

export function ivrMenu(id: string, over: Partial<IvrMenu> = {}): IvrMenu {
  return {
    ...stamp,
    id,
    name: `Menu ${id}`,
    prompt: { kind: 'text', text: `Welcome to ${id}` },
    options: {},
    directDial: false,
    timeoutS: 5,
    interDigitTimeoutMs: 2000,
    invalidPrompt: null,
    timeoutPrompt: null,
    retries: 1,
    failover: { type: 'hangup' },
    ...over,
  };
}

export function schedule(id: string, over: Partial<Schedule> = {}): Schedule {
  return {
    ...stamp,
    id,
    name: `Hours ${id}`,
    timezone: 'Europe/Berlin',
    weekly: ([1, 2, 3, 4, 5] as const).map((day) => ({ day, from: '09:00', to: '18:00' })),
    exceptions: [],
    open: { type: 'hangup' },
    closed: { type: 'hangup' },
    ...over,
  };
}

export function voicemailBox(id: string, over: Partial<VoicemailBox> = {}): VoicemailBox {
  return { ...stamp, id, number: '900', name: `Box ${id}`, greeting: null, maxMessageS: 120, pinHash: null, ...over };
}

export function conferenceRoom(id: string, over: Partial<ConferenceRoom> = {}): ConferenceRoom {
  return {
    ...stamp,
    id,
    name: `Room ${id}`,
    number: null,
    pinHash: null,
    hostPinHash: null,
    waitForHost: false,
    muteOnEntry: false,
    maxParticipants: 10,
    announceJoinLeave: false,
    record: false,
    ...over,
  };
}

export function announcement(id: string, next: Destination, over: Partial<Announcement> = {}): Announcement {
  return { ...stamp, id, name: `Notice ${id}`, prompt: { kind: 'text', text: `Notice ${id}` }, next, ...over };
}

export interface SnapshotParts {
  numbers?: Record<string, Destination | null>;
  extensions?: Extension[];
  ringGroups?: RingGroup[];
  ivrMenus?: IvrMenu[];
  schedules?: Schedule[];
  voicemailBoxes?: VoicemailBox[];
  conferences?: ConferenceRoom[];
  announcements?: Announcement[];
  outboundEndpoint?: string | null;
}

const byId = <T extends { id: string }>(items: T[] = []) => new Map(items.map((i) => [i.id, i]));

export function snapshot(parts: SnapshotParts): RoutingSnapshot {
  const numbers = new Map<string, NumberRoute>();
  for (const [number, destination] of Object.entries(parts.numbers ?? {})) {
    numbers.set(number, { tenantId: 't1', number, destination, record: false });
  }
  return {
    tenantId: 't1',
    timezone: 'Europe/Berlin',
    numbers,
    extensions: byId(parts.extensions),
    ringGroups: byId(parts.ringGroups),
    ivrMenus: byId(parts.ivrMenus),
    schedules: byId(parts.schedules),
    voicemailBoxes: byId(parts.voicemailBoxes),
    conferences: byId(parts.conferences),
    announcements: byId(parts.announcements),
    outboundEndpoint: parts.outboundEndpoint ?? null,
  };
}

/** A context for the machine: presence by extension id (idle unless named), pins checked as `hash:<pin>`. */
export function context(
  config: RoutingSnapshot,
  opts: { now?: number; presence?: Record<string, Presence>; conferenceSizes?: Record<string, number> } = {},
): FlowContext {
  return {
    config,
    now: opts.now ?? Date.parse('2026-03-27T10:00:00Z'),
    presence: (id) => opts.presence?.[id] ?? 'idle',
    checkPin: (hash, pin) => hash === `hash:${pin}`,
    conferenceSize: (roomId) => opts.conferenceSizes?.[roomId] ?? 0,
  };
}

/** Drives one call through the machine as a test would: events in, commands out, state kept. */
export class TestCall {
  state: FlowState;
  /** Commands of the last event (or of the start). */
  last: FlowCommand[];
  /** Every command so far. */
  readonly all: FlowCommand[] = [];

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
