import type { Prompt } from '../objects/model.ts';
import type { CallInfo, FlowState, Phase } from './state.ts';
import type { FlowCommand, RoutingStep } from './types.ts';

// One step of the machine as a small transaction: handlers allocate ids and emit commands through it, and
// step() turns it into the next FlowState. Ids derive from the flow id and a counter kept in the state, so the same
// state and event always produce the same ids (a command retried after a restart is idempotent on Asterisk).
// The object lives for one step() call only: the machine stays pure from the outside.

/** c: channel, b: bridge, p: playback, r: recording, t: timer. */
export type IdKind = 'c' | 'b' | 'p' | 'r' | 't';

export class Tx {
  readonly commands: FlowCommand[] = [];
  seq: number;
  hops: number;
  answered: boolean;

  ringbackId: string | null;

  constructor(
    readonly call: CallInfo,
    from: Pick<FlowState, 'seq' | 'hops' | 'answered' | 'ringbackId'>,
  ) {
    this.seq = from.seq;
    this.hops = from.hops;
    this.answered = from.answered;
    this.ringbackId = from.ringbackId ?? null;
  }

  id(kind: IdKind): string {
    this.seq += 1;
    return `${this.call.flowId}:${kind}${this.seq}`;
  }

  emit(...commands: FlowCommand[]): void {
    this.commands.push(...commands);
  }

  step(step: RoutingStep): void {
    this.commands.push({ type: 'step', step });
  }

  /** Answers the caller once: before anything is played to it, or before it is bridged to who answered. */
  answer(): void {
    if (this.answered) return;
    this.answered = true;
    this.emit({ type: 'answer', channelId: this.call.callerChannelId });
  }

  /** Plays to the caller (answering it first); returns the playback id. */
  play(prompt: Prompt): string {
    this.answer();
    const playbackId = this.id('p');
    this.emit({ type: 'play', channelId: this.call.callerChannelId, playbackId, prompt });
    return playbackId;
  }

  timer(ms: number): string {
    const timerId = this.id('t');
    this.emit({ type: 'start-timer', timerId, ms });
    return timerId;
  }

  cancelTimer(timerId: string | null): void {
    if (timerId !== null) this.emit({ type: 'cancel-timer', timerId });
  }

  /** Ends the call: the hangup step, the caller's hangup, done. */
  /** Says `prompt` to the caller, then ends the call (when the playback finishes, or fails). */
  endAfter(prompt: Prompt, reason: string, cause: number): Phase {
    return { phase: 'farewell', playbackId: this.play(prompt), reason, cause };
  }

  end(reason: string, cause: number): Phase {
    this.step({ kind: 'hangup', reason });
    this.emit({ type: 'hangup', channelId: this.call.callerChannelId, cause }, { type: 'done' });
    return { phase: 'ended' };
  }

  /**
   * The step's outcome. An answered caller hears a ringing tone while phones ring, from the first member rung to
   * the end of the ringing, whatever comes next (bridged, voicemail, hangup): stopped before that phase's commands.
   */
  result(phase: Phase): { state: FlowState; commands: FlowCommand[] } {
    if (phase.phase === 'ringing' && this.answered && this.ringbackId === null) {
      this.ringbackId = this.id('p');
      this.emit({ type: 'ringback', channelId: this.call.callerChannelId, playbackId: this.ringbackId });
    } else if (phase.phase !== 'ringing' && this.ringbackId !== null) {
      this.commands.unshift({ type: 'stop-playback', playbackId: this.ringbackId });
      this.ringbackId = null;
    }
    return {
      state: { call: this.call, seq: this.seq, hops: this.hops, answered: this.answered, ringbackId: this.ringbackId, phase },
      commands: this.commands,
    };
  }
}

/** Q.850 causes the machine uses. */
export const CAUSE = {
  unallocated: 1,
  normal: 16,
  busy: 17,
  noAnswer: 19,
  absent: 20,
  answeredElsewhere: 26,
} as const;
