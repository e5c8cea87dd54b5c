import type { ConferenceRoom, Prompt } from '../objects/model.ts';
import { CAUSE, type Tx } from './ids.ts';
import type { Phase } from './state.ts';
import type { FlowContext, FlowEvent } from './types.ts';

// Conference rooms: a room with a pin (or a host pin) asks for it, '#' ends the entry; the host pin makes the
// caller a host, the room's pin a participant (a room with only a host pin lets anyone else in as a participant).
// MAX_PIN_ATTEMPTS wrong entries end the call, as does a full room, each after a last word to the caller (the
// `farewell` phase). All flows in a room join one bridge, `conf:<roomId>`.

export const MAX_PIN_ATTEMPTS = 3;
/** Silence after the prompt (or the last key) before the entry counts as given. */
export const PIN_TIMEOUT_MS = 10_000;
export const PIN_PROMPT: Prompt = { kind: 'text', text: 'Please enter the conference PIN, then press hash.' };
export const WRONG_PIN_PROMPT: Prompt = { kind: 'text', text: 'That PIN is not valid. Please try again.' };
export const NO_MORE_ATTEMPTS_PROMPT: Prompt = { kind: 'text', text: 'That PIN is not valid. Goodbye.' };
export const ROOM_FULL_PROMPT: Prompt = { kind: 'text', text: 'This conference is full. Please try again later. Goodbye.' };

type PinPhase = Extract<Phase, { phase: 'conference-pin' }>;

export const conferenceBridgeId = (roomId: string): string => `conf:${roomId}`;

export function enterConference(tx: Tx, ctx: FlowContext, room: ConferenceRoom): Phase {
  if (room.pinHash === null && room.hostPinHash === null) return join(tx, ctx, room, false);
  return { phase: 'conference-pin', roomId: room.id, digits: '', attempt: 0, playbackId: tx.play(PIN_PROMPT), timerId: null };
}

export function onConferencePin(tx: Tx, ctx: FlowContext, phase: PinPhase, event: FlowEvent): Phase {
  const room = ctx.config.conferences.get(phase.roomId);
  if (!room) return tx.end(`conference ${phase.roomId} not found`, CAUSE.unallocated);
  if (event.type === 'playback-finished' && event.playbackId === phase.playbackId) {
    return { ...phase, playbackId: null, timerId: tx.timer(PIN_TIMEOUT_MS) };
  }
  if (event.type === 'dtmf' && event.channelId === tx.call.callerChannelId) {
    // A key during the prompt stops it and counts (barge-in).
    if (phase.playbackId !== null) tx.emit({ type: 'stop-playback', playbackId: phase.playbackId });
    tx.cancelTimer(phase.timerId);
    if (event.digit === '#') return check(tx, ctx, room, phase);
    return { ...phase, digits: phase.digits + event.digit, playbackId: null, timerId: tx.timer(PIN_TIMEOUT_MS) };
  }
  if (event.type === 'timer' && event.timerId === phase.timerId) return check(tx, ctx, room, phase);
  return phase;
}

function check(tx: Tx, ctx: FlowContext, room: ConferenceRoom, phase: PinPhase): Phase {
  const pin = phase.digits;
  if (room.hostPinHash !== null && ctx.checkPin(room.hostPinHash, pin)) return join(tx, ctx, room, true);
  if (room.pinHash === null || ctx.checkPin(room.pinHash, pin)) return join(tx, ctx, room, false);
  tx.step({ kind: 'conference', roomId: room.id, name: room.name, result: 'wrong-pin', host: false });
  const attempt = phase.attempt + 1;
  if (attempt >= MAX_PIN_ATTEMPTS) return tx.endAfter(NO_MORE_ATTEMPTS_PROMPT, 'wrong conference pin', CAUSE.normal);
  return { phase: 'conference-pin', roomId: room.id, digits: '', attempt, playbackId: tx.play(WRONG_PIN_PROMPT), timerId: null };
}

function join(tx: Tx, ctx: FlowContext, room: ConferenceRoom, host: boolean): Phase {
  // Counted at the moment of joining: the room may have filled while the caller typed the pin.
  if (ctx.conferenceSize(room.id) >= room.maxParticipants) {
    tx.step({ kind: 'conference', roomId: room.id, name: room.name, result: 'full', host });
    return tx.endAfter(ROOM_FULL_PROMPT, 'conference full', CAUSE.normal);
  }
  tx.answer();
  const bridgeId = conferenceBridgeId(room.id);
  tx.emit({
    type: 'bridge',
    bridgeId,
    channelIds: [tx.call.callerChannelId],
    conference: {
      roomId: room.id,
      host,
      muted: room.muteOnEntry && !host,
      waitForHost: room.waitForHost && !host,
      announceJoinLeave: room.announceJoinLeave,
      record: room.record,
    },
  });
  tx.step({ kind: 'conference', roomId: room.id, name: room.name, result: 'joined', host });
  return { phase: 'in-conference', roomId: room.id, bridgeId, host };
}
