import type { Destination, Presence, Prompt, RoutingSnapshot } from '../objects/model.ts';

// The flow machine's language (docs/routing.md): what happens to a routed call (FlowEvent), what the machine
// wants done (FlowCommand), and what it remembers (FlowState). step(state, event, context) → { state, commands }
// is pure; one runtime executes the commands over ARI, and the simulator answers them from a script.
// Ids of everything the machine asks to create (channels, bridges, playbacks, recordings, timers) are chosen by
// the machine from the flow id and a counter, so a command retried after a restart is idempotent on Asterisk.

/** Milliseconds since the epoch. */
export type Ms = number;

export interface FlowContext {
  config: RoutingSnapshot;
  now: Ms;
  /** The phone state of an extension as last seen (ring groups skip busy members, forwarding on unreachable). */
  presence(extensionId: string): Presence;
  /** Does `pin` match a conference pin hash? The runtime verifies scrypt; the machine only asks. */
  checkPin(hash: string, pin: string): boolean;
  /** Participants in a conference room right now (maxParticipants). */
  conferenceSize(roomId: string): number;
}

export type FlowEvent =
  /** The caller's channel entered the engine's Stasis application for `dialed` (the number it called). */
  /**
   * `internal`: the caller is one of the tenant's own phones, so `dialed` may also be an internal number (an
   * extension, a ring group, a conference room) or an outside number through the tenant's trunk.
   */
  | { type: 'started'; channelId: string; from: string | null; callerName: string | null; dialed: string; internal?: boolean }
  | { type: 'dtmf'; channelId: string; digit: string }
  | { type: 'playback-finished'; playbackId: string }
  | { type: 'timer'; timerId: string }
  /** A channel the flow originated (a member's phone, an outside number) answered. */
  | { type: 'answered'; channelId: string }
  /** A channel the flow originated is ringing at the far end. */
  | { type: 'ringing'; channelId: string }
  /** A channel ended: the caller hung up, a member rejected, an originate failed (cause: Q.850). */
  | { type: 'hangup'; channelId: string; cause: number }
  | { type: 'recording-finished'; recordingId: string; durationS: number }
  /** The runtime could not carry out a command for this channel (endpoint unknown, ARI error). */
  | { type: 'command-failed'; channelId: string; reason: string };

export type FlowCommand =
  | { type: 'answer'; channelId: string }
  | { type: 'play'; channelId: string; playbackId: string; prompt: Prompt }
  | { type: 'stop-playback'; playbackId: string }
  /** A ringing tone to the (answered) caller until stopped (stop-playback). */
  | { type: 'ringback'; channelId: string; playbackId: string }
  /** Ring an endpoint: `channelId` chosen by the machine; `timeoutS` bounds the ringing on Asterisk too. */
  | { type: 'originate'; channelId: string; endpoint: string; callerId: { name: string | null; number: string | null }; timeoutS: number; extensionId: string | null }
  | { type: 'hangup'; channelId: string; cause: number }
  /** Creates the mixing bridge `bridgeId` if absent and puts the channels in it. */
  | { type: 'bridge'; bridgeId: string; channelIds: string[]; conference?: ConferenceJoin }
  | { type: 'record'; channelId: string; recordingId: string; maxDurationS: number; beep: boolean }
  | { type: 'stop-recording'; recordingId: string }
  /**
   * Records the whole conversation on `bridgeId` (both sides mixed) until the bridge goes: a recording policy of
   * the number called or of the extension that answered. The runtime stores it with the call when it finishes.
   */
  | { type: 'record-call'; bridgeId: string; recordingId: string; policy: RecordPolicy }
  | { type: 'start-timer'; timerId: string; ms: number }
  | { type: 'cancel-timer'; timerId: string }
  /** A routing step for the call's timeline, history, CRM and webhooks ("IVR Main: pressed 2"). */
  | { type: 'step'; step: RoutingStep }
  /** Round-robin: the group's next first member, persisted by the runtime. */
  | { type: 'ring-group-advanced'; groupId: string; nextIndex: number }
  /** A voicemail message was left: stored by the runtime, announced on the outbox. */
  | { type: 'voicemail-left'; boxId: string; recordingId: string; durationS: number }
  /** The flow is over (the call ended or left the engine's hands); the runtime forgets it. */
  | { type: 'done' };

/** How a caller joins a conference bridge (`conf:<roomId>`, shared by every flow in the room). */
export interface ConferenceJoin {
  roomId: string;
  host: boolean;
  /** Joins muted (room's muteOnEntry; hosts never). */
  muted: boolean;
  /** Hears music on hold, unmixed, until a host is in the room (room's waitForHost; hosts never wait). */
  waitForHost: boolean;
  announceJoinLeave: boolean;
  record: boolean;
}

/** Why a call is recorded: the number it called records its calls, or the extension that answered does. */
export type RecordPolicy = 'number' | 'extension';

/** One step of a call's path, as shown on its timeline and returned by the simulator. */
export type RoutingStep =
  | { kind: 'number'; number: string; destination: Destination | null }
  | { kind: 'schedule'; scheduleId: string; name: string; branch: 'open' | 'closed'; reason: string }
  | { kind: 'ivr-prompt'; menuId: string; name: string }
  | { kind: 'ivr-choice'; menuId: string; name: string; digits: string; result: 'option' | 'direct-dial' | 'invalid' | 'timeout' }
  | { kind: 'ring'; targetType: 'extension' | 'ring-group'; targetId: string; name: string; extensionIds: string[] }
  | { kind: 'skipped'; extensionId: string; reason: 'busy' | 'unavailable' | 'disabled' }
  | { kind: 'answered'; extensionId: string | null; channelId: string }
  | { kind: 'recording'; recordingId: string; policy: RecordPolicy }
  | { kind: 'no-answer'; targetType: 'extension' | 'ring-group'; targetId: string }
  | { kind: 'forward'; extensionId: string; condition: 'always' | 'busy' | 'noAnswer' | 'unreachable'; destination: Destination }
  | { kind: 'fallback'; fromType: string; fromId: string; destination: Destination }
  | { kind: 'announcement'; announcementId: string; name: string }
  | { kind: 'voicemail'; boxId: string; name: string; durationS: number | null }
  | { kind: 'conference'; roomId: string; name: string; result: 'joined' | 'wrong-pin' | 'full'; host: boolean }
  | { kind: 'external'; number: string }
  | { kind: 'hangup'; reason: string }
  /** A loop or a chain over the step bound was cut: the call is ended rather than routed forever. */
  | { kind: 'loop-cut'; destination: Destination };
