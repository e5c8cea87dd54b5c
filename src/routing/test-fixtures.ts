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
import type { FlowContext } from './flow/types.ts';

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
