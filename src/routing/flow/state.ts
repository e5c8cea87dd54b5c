// What the flow machine remembers of one call between events. Plain data (JSON-safe), so the runtime can persist
// it and take a flow over after a restart. `phase` is a closed union: every handler switches over it exhaustively.

/** The caller's leg and what it brought with it. */
export interface CallInfo {
  flowId: string;
  callerChannelId: string;
  from: string | null;
  callerName: string | null;
  dialed: string;
}

/** A channel the flow originated (a member's phone or an outside number) that is still ringing. */
export interface Leg {
  channelId: string;
  extensionId: string | null;
}

export type RingTarget =
  | { kind: 'extension'; extensionId: string }
  /**
   * `order`: member extension ids in ring order (round-robin: rotated to the group's nextIndex). `next`: the next
   * ring attempt; sequential and round-robin ring attempt `next` = member `next % n` in turn `next / n`,
   * simultaneous counts turns.
   */
  | { kind: 'ring-group'; groupId: string; order: string[]; next: number; totalTimerId: string }
  | { kind: 'external'; number: string };

export type Phase =
  /** `then`: what follows when the playback ends: wait for keys, or replay the menu prompt after an error prompt. */
  | { phase: 'ivr-playing'; menuId: string; playbackId: string; attempt: number; then: 'collect' | 'replay' }
  | { phase: 'ivr-collecting'; menuId: string; attempt: number; digits: string; timerId: string }
  | { phase: 'ringing'; target: RingTarget; legs: Leg[]; timerId: string | null }
  | { phase: 'bridged'; bridgeId: string; peerChannelId: string; extensionId: string | null }
  | { phase: 'voicemail-greeting'; boxId: string; playbackId: string }
  /** `callerGone`: the caller hung up; the message still counts when the recording reports its length. */
  | { phase: 'voicemail-recording'; boxId: string; recordingId: string; timerId: string; callerGone: boolean }
  | { phase: 'conference-pin'; roomId: string; digits: string; attempt: number; playbackId: string | null; timerId: string | null }
  | { phase: 'in-conference'; roomId: string; bridgeId: string; host: boolean }
  | { phase: 'announcement'; announcementId: string; playbackId: string }
  /** A last word to the caller ("this conference is full"), then the call ends with `reason` and `cause`. */
  | { phase: 'farewell'; playbackId: string; reason: string; cause: number }
  | { phase: 'ended' };

export type PhaseName = Phase['phase'];

export interface FlowState {
  call: CallInfo;
  /** Counter behind every id the machine chooses (ids.ts). */
  seq: number;
  /** Destinations entered so far (bounded by MAX_DESTINATIONS). */
  hops: number;
  /** The caller's channel was answered (answer is sent once). */
  answered: boolean;
  /**
   * The ringing tone an answered caller hears while phones ring (after a menu, say: the carrier's ringback is
   * over once the call is answered), as a playback; null when none plays. Absent: none.
   */
  ringbackId?: string | null;
  phase: Phase;
}

export const MAX_DESTINATIONS = 32;
