import { onAnnouncement } from './announcement.ts';
import { onConferencePin } from './conference.ts';
import { enter } from './destination.ts';
import { CAUSE, Tx } from './ids.ts';
import { onIvr } from './ivr.ts';
import { onRinging, releaseRinging } from './ring.ts';
import type { Destination, RoutingSnapshot } from '../objects/model.ts';
import type { FlowState, Phase } from './state.ts';
import type { FlowCommand, FlowContext, FlowEvent } from './types.ts';
import { callerGoneWhileRecording, onVoicemail } from './voicemail.ts';

// The flow machine's entry points (docs/routing.md): startFlow for a call entering the engine, step for every
// later event. Pure: the same state, event and context always give the same state and commands.

export interface FlowResult {
  state: FlowState;
  commands: FlowCommand[];
}

export function startFlow(flowId: string, event: Extract<FlowEvent, { type: 'started' }>, ctx: FlowContext): FlowResult {
  const call = { flowId, callerChannelId: event.channelId, from: event.from, callerName: event.callerName, dialed: event.dialed };
  const tx = new Tx(call, { seq: 0, hops: 0, answered: false });
  const route = ctx.config.numbers.get(event.dialed);
  const destination = route?.destination ?? (event.internal ? internalDestination(ctx.config, event.dialed) : null);
  tx.step({ kind: 'number', number: event.dialed, destination });
  if (!destination) return tx.result(tx.end(`no route for ${event.dialed}`, CAUSE.unallocated));
  return tx.result(enter(tx, ctx, destination));
}

/**
 * Where a tenant's phone calling `dialed` goes when it is none of the tenant's outside numbers: the extension, ring
 * group or conference room with that internal number (they share one numbering), else an outside number through
 * the tenant's trunk, else nowhere.
 */
export function internalDestination(config: RoutingSnapshot, dialed: string): Destination | null {
  for (const ext of config.extensions.values()) if (ext.number === dialed) return { type: 'extension', id: ext.id };
  for (const group of config.ringGroups.values()) if (group.number === dialed) return { type: 'ring-group', id: group.id };
  for (const room of config.conferences.values()) if (room.number === dialed) return { type: 'conference', id: room.id };
  if (/^\+?[0-9]{3,15}$/.test(dialed) && config.outboundEndpoint) return { type: 'external', number: dialed };
  return null;
}

export function step(state: FlowState, event: FlowEvent, ctx: FlowContext): FlowResult {
  const phase = state.phase;
  if (phase.phase === 'ended') return { state, commands: [] };
  const tx = new Tx(state.call, state);
  const caller = state.call.callerChannelId;
  if (event.type === 'hangup' && event.channelId === caller) return tx.result(callerGone(tx, phase));
  if (event.type === 'command-failed' && event.channelId === caller) {
    // The caller's channel cannot be driven (gone, or ARI refused it): end the call rather than continue blind.
    release(tx, phase);
    return tx.result(tx.end(`caller channel failed: ${event.reason}`, CAUSE.normal));
  }
  return tx.result(onEvent(tx, ctx, phase, event));
}

function onEvent(tx: Tx, ctx: FlowContext, phase: Exclude<Phase, { phase: 'ended' }>, event: FlowEvent): Phase {
  switch (phase.phase) {
    case 'ivr-playing':
    case 'ivr-collecting':
      return onIvr(tx, ctx, phase, event);
    case 'ringing':
      return onRinging(tx, ctx, phase, event);
    case 'bridged':
      if (event.type === 'hangup' && event.channelId === phase.peerChannelId) {
        return tx.end(phase.extensionId === null ? 'far end hung up' : 'member hung up', CAUSE.normal);
      }
      return phase;
    case 'voicemail-greeting':
    case 'voicemail-recording':
      return onVoicemail(tx, ctx.config.voicemailBoxes.get(phase.boxId), phase, event);
    case 'conference-pin':
      return onConferencePin(tx, ctx, phase, event);
    case 'in-conference':
      // The conference runs on its own bridge; the flow only waits for the caller to leave.
      return phase;
    case 'announcement':
      return onAnnouncement(tx, ctx, phase, event);
    case 'farewell':
      return event.type === 'playback-finished' && event.playbackId === phase.playbackId ? tx.end(phase.reason, phase.cause) : phase;
    default: {
      const never: never = phase;
      return never;
    }
  }
}

/** The caller hung up: release what the phase holds and finish (a voicemail recording finishes first). */
function callerGone(tx: Tx, phase: Exclude<Phase, { phase: 'ended' }>): Phase {
  if (phase.phase === 'voicemail-recording') return phase.callerGone ? phase : callerGoneWhileRecording(tx, phase);
  release(tx, phase);
  tx.step({ kind: 'hangup', reason: 'caller hung up' });
  tx.emit({ type: 'done' });
  return { phase: 'ended' };
}

/** Timers, rung legs, the peer, playbacks and recordings a phase holds, let go when the call ends early. */
function release(tx: Tx, phase: Exclude<Phase, { phase: 'ended' }>): void {
  switch (phase.phase) {
    case 'ivr-playing':
    case 'voicemail-greeting':
    case 'announcement':
    case 'farewell':
      tx.emit({ type: 'stop-playback', playbackId: phase.playbackId });
      return;
    case 'ivr-collecting':
      tx.cancelTimer(phase.timerId);
      return;
    case 'ringing':
      releaseRinging(tx, phase, CAUSE.normal);
      return;
    case 'bridged':
      tx.emit({ type: 'hangup', channelId: phase.peerChannelId, cause: CAUSE.normal });
      return;
    case 'voicemail-recording':
      tx.cancelTimer(phase.timerId);
      tx.emit({ type: 'stop-recording', recordingId: phase.recordingId });
      return;
    case 'conference-pin':
      if (phase.playbackId !== null) tx.emit({ type: 'stop-playback', playbackId: phase.playbackId });
      tx.cancelTimer(phase.timerId);
      return;
    case 'in-conference':
      return;
    default: {
      const never: never = phase;
      return never;
    }
  }
}
