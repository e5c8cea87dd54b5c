import type { Prompt, VoicemailBox } from '../objects/model.ts';
import { CAUSE, type Tx } from './ids.ts';
import type { Phase } from './state.ts';
import type { FlowEvent } from './types.ts';

// Voicemail: answer, greeting, record after a beep for at most maxMessageS. A caller who hangs up while recording
// still leaves the message: Asterisk ends the recording with the channel and the runtime reports it after the
// hangup, so the flow waits for recording-finished either way (and a safety timer bounds the wait).

export const DEFAULT_GREETING: Prompt = { kind: 'text', text: 'Please leave a message after the tone.' };
/** How long past maxMessageS the flow waits for recording-finished before giving up on it. */
export const RECORDING_GRACE_S = 10;

type VoicemailPhase = Extract<Phase, { phase: 'voicemail-greeting' | 'voicemail-recording' }>;

export function enterVoicemail(tx: Tx, box: VoicemailBox): Phase {
  tx.step({ kind: 'voicemail', boxId: box.id, name: box.name, durationS: null });
  return { phase: 'voicemail-greeting', boxId: box.id, playbackId: tx.play(box.greeting ?? DEFAULT_GREETING) };
}

export function onVoicemail(tx: Tx, box: VoicemailBox | undefined, phase: VoicemailPhase, event: FlowEvent): Phase {
  if (phase.phase === 'voicemail-greeting') {
    if (event.type !== 'playback-finished' || event.playbackId !== phase.playbackId) return phase;
    if (!box) return tx.end(`voicemail ${phase.boxId} not found`, CAUSE.unallocated);
    const recordingId = tx.id('r');
    tx.emit({ type: 'record', channelId: tx.call.callerChannelId, recordingId, maxDurationS: box.maxMessageS, beep: true });
    const timerId = tx.timer((box.maxMessageS + RECORDING_GRACE_S) * 1000);
    return { phase: 'voicemail-recording', boxId: phase.boxId, recordingId, timerId, callerGone: false };
  }
  if (event.type === 'recording-finished' && event.recordingId === phase.recordingId) {
    tx.cancelTimer(phase.timerId);
    tx.step({ kind: 'voicemail', boxId: phase.boxId, name: box?.name ?? phase.boxId, durationS: event.durationS });
    // An empty recording (hung up at the beep) is no message.
    if (event.durationS > 0) {
      tx.emit({ type: 'voicemail-left', boxId: phase.boxId, recordingId: phase.recordingId, durationS: event.durationS });
    }
    return finish(tx, phase, event.durationS > 0 ? 'voicemail left' : 'voicemail empty');
  }
  if (event.type === 'timer' && event.timerId === phase.timerId) {
    tx.emit({ type: 'stop-recording', recordingId: phase.recordingId });
    return finish(tx, phase, 'voicemail recording never finished');
  }
  return phase;
}

/** The caller hung up while recording: keep the recording going until Asterisk reports it. */
export function callerGoneWhileRecording(tx: Tx, phase: Extract<Phase, { phase: 'voicemail-recording' }>): Phase {
  tx.step({ kind: 'hangup', reason: 'caller hung up' });
  return { ...phase, callerGone: true };
}

function finish(tx: Tx, phase: Extract<Phase, { phase: 'voicemail-recording' }>, reason: string): Phase {
  if (!phase.callerGone) return tx.end(reason, CAUSE.normal);
  tx.emit({ type: 'done' });
  return { phase: 'ended' };
}
