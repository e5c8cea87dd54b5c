// A tenant's routing as data (docs/routing.md): where its numbers go, its extensions, ring groups, IVR menus,
// schedules, voicemail boxes, conference rooms and announcements. Every object belongs to one tenant and is
// referred to by id; a destination names the object a call goes to next. Durations are in seconds where a
// person sets them (ring 20 s), as the admin UI shows them. Pure types: no I/O.

export const DESTINATION_TYPES = [
  'extension',
  'ring-group',
  'ivr',
  'schedule',
  'voicemail',
  'conference',
  'announcement',
  'external',
  'ai-agent',
  'hangup',
] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

/** Where a call goes: one of the tenant's objects, an outside number, or the end of the call. */
export type Destination =
  | { type: 'extension'; id: string }
  | { type: 'ring-group'; id: string }
  | { type: 'ivr'; id: string }
  | { type: 'schedule'; id: string }
  | { type: 'voicemail'; id: string }
  | { type: 'conference'; id: string }
  | { type: 'announcement'; id: string }
  /** Forwarded to a number outside the tenant, dialled through the tenant's outbound endpoint. */
  | { type: 'external'; number: string }
  /** Completed by the AI agents issue; until then the flow treats it as unavailable and falls back. */
  | { type: 'ai-agent'; id: string }
  | { type: 'hangup' };

/** What a caller hears: text synthesized offline (and cached), or an uploaded audio file. */
export type Prompt = { kind: 'text'; text: string } | { kind: 'audio'; audioId: string };

/** A number (DID) the tenant owns (tenant_numbers) and where its calls go; null: not routed by the engine. */
export interface NumberRoute {
  tenantId: string;
  number: string;
  destination: Destination | null;
  /** Record every call to this number. */
  record: boolean;
}

export const FORWARD_CONDITIONS = ['always', 'busy', 'noAnswer', 'unreachable'] as const;
export type ForwardCondition = (typeof FORWARD_CONDITIONS)[number];

/** A user's phone: a PJSIP endpoint the engine provisions, with its forwarding rules. */
export interface Extension {
  id: string;
  tenantId: string;
  /** What callers dial inside the tenant: 2 to 8 digits, unique in the tenant. */
  number: string;
  name: string;
  /** The PJSIP endpoint (and its auth and AOR) on Asterisk: `<tenant slug>-<number>`, set by the engine. */
  endpoint: string;
  callerIdName: string | null;
  /** Seconds the phone rings before the no-answer rule applies. */
  ringTimeoutS: number;
  voicemailBoxId: string | null;
  /** Applied in this order: always (before ringing), unreachable, busy, noAnswer. Absent: none. */
  forward: Partial<Record<ForwardCondition, Destination>>;
  record: boolean;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export const RING_STRATEGIES = ['simultaneous', 'sequential', 'round-robin'] as const;
export type RingStrategy = (typeof RING_STRATEGIES)[number];

export interface RingGroupMember {
  extensionId: string;
  /** Overrides the group's memberTimeoutS for this member. */
  timeoutS: number | null;
}

export interface RingGroup {
  id: string;
  tenantId: string;
  name: string;
  /** Optional internal number that dials the group. */
  number: string | null;
  strategy: RingStrategy;
  members: RingGroupMember[];
  /** Seconds one member rings (sequential and round-robin), or all ring together (simultaneous, per turn). */
  memberTimeoutS: number;
  /** Passes over the members before giving up (1 = each member once). */
  turns: number;
  /** Bound on the whole group, seconds; the fallback applies when it runs out, whatever the turns. */
  totalTimeoutS: number;
  /** Members busy (in a call) or unreachable are skipped instead of rung. */
  skipBusy: boolean;
  /** Where the call goes when nobody answered; chains through the next object's own fallback. */
  fallback: Destination;
  /** Round-robin: index into members of the next to ring first; persisted after each call. */
  nextIndex: number;
  createdAt: string;
  updatedAt: string;
}

export const DTMF_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'] as const;
export type DtmfKey = (typeof DTMF_KEYS)[number];

export interface IvrMenu {
  id: string;
  tenantId: string;
  name: string;
  prompt: Prompt;
  /** Single-key choices. */
  options: Partial<Record<DtmfKey, Destination>>;
  /** Callers may dial an extension's number directly (several digits, ended by the inter-digit timeout or #). */
  directDial: boolean;
  /** Seconds to wait for the first key after the prompt ends. */
  timeoutS: number;
  /** Milliseconds between keys of a multi-digit entry. */
  interDigitTimeoutMs: number;
  invalidPrompt: Prompt | null;
  timeoutPrompt: Prompt | null;
  /** Further tries after a timeout or an invalid key, before the failover. */
  retries: number;
  failover: Destination;
  createdAt: string;
  updatedAt: string;
}

/** "HH:MM", 00:00 to 24:00. */
export type ClockTime = string;

/** Monday = 1 ... Sunday = 7 (ISO). A range whose `to` is not after `from` ends the next day (22:00-06:00). */
export interface WeeklyRange {
  day: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  from: ClockTime;
  to: ClockTime;
}

/** A dated exception in the schedule's time zone: closed all day, or open only in these ranges. */
export interface ScheduleException {
  /** "YYYY-MM-DD" */
  date: string;
  name: string;
  closed: boolean;
  ranges: { from: ClockTime; to: ClockTime }[];
}

export interface Schedule {
  id: string;
  tenantId: string;
  name: string;
  /** IANA time zone; null: the tenant's. */
  timezone: string | null;
  weekly: WeeklyRange[];
  exceptions: ScheduleException[];
  open: Destination;
  closed: Destination;
  createdAt: string;
  updatedAt: string;
}

export interface VoicemailBox {
  id: string;
  tenantId: string;
  /** The box's number (usually its extension's). */
  number: string;
  name: string;
  greeting: Prompt | null;
  /** Seconds a message may last. */
  maxMessageS: number;
  /** scrypt hash of the PIN for listening by phone; never shown. */
  pinHash: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface VoicemailMessage {
  id: string;
  tenantId: string;
  boxId: string;
  callId: string | null;
  /** Caller number (personal data). */
  from: string | null;
  durationS: number;
  /** The stored audio (engine's recording store). */
  recordingId: string;
  heard: boolean;
  createdAt: string;
}

export interface ConferenceRoom {
  id: string;
  tenantId: string;
  name: string;
  number: string | null;
  /** Hashes; a room without a pin lets callers straight in. */
  pinHash: string | null;
  hostPinHash: string | null;
  /** Participants hear music and are not mixed until a host joins. */
  waitForHost: boolean;
  muteOnEntry: boolean;
  maxParticipants: number;
  announceJoinLeave: boolean;
  record: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Announcement {
  id: string;
  tenantId: string;
  name: string;
  prompt: Prompt;
  /** Where the call goes after it (hangup ends the call). */
  next: Destination;
  createdAt: string;
  updatedAt: string;
}

/** Everything the flow machine and the simulator read of one tenant, as of one moment. */
export interface RoutingSnapshot {
  tenantId: string;
  /** IANA time zone of the tenant (schedules without their own use it). */
  timezone: string;
  numbers: ReadonlyMap<string, NumberRoute>;
  extensions: ReadonlyMap<string, Extension>;
  ringGroups: ReadonlyMap<string, RingGroup>;
  ivrMenus: ReadonlyMap<string, IvrMenu>;
  schedules: ReadonlyMap<string, Schedule>;
  voicemailBoxes: ReadonlyMap<string, VoicemailBox>;
  conferences: ReadonlyMap<string, ConferenceRoom>;
  announcements: ReadonlyMap<string, Announcement>;
  /** PJSIP endpoint of the tenant's outbound trunk: external destinations dial `PJSIP/<number>@<endpoint>`.
   *  Absent or null: external destinations are unreachable. */
  outboundEndpoint?: string | null;
}

/** What the runtime knows of an extension's phone (from ARI device and endpoint state). */
export type Presence = 'idle' | 'ringing' | 'in-call' | 'unavailable';
