import { describe, expect, it } from 'vitest';
import type { VoicemailBox } from '../objects/model.ts';
import { TestCall, actionsOf, kindsOf, stepsOf } from '../test-call.ts';
import { context, snapshot, voicemailBox } from '../test-fixtures.ts';
import { DEFAULT_GREETING } from './voicemail.ts';

function call(over: Partial<VoicemailBox> = {}): TestCall {
  const config = snapshot({
    numbers: { '+4930100': { type: 'voicemail', id: 'vm1' } },
    voicemailBoxes: [voicemailBox('vm1', { maxMessageS: 90, ...over })],
  });
  return new TestCall(context(config));
}

const finished = (durationS: number) => ({ type: 'recording-finished', recordingId: 'f:r2', durationS }) as const;
const callerHangup = { type: 'hangup', channelId: 'caller', cause: 16 } as const;

describe('voicemail', () => {
  it('answers, plays the default greeting, records after a beep for maxMessageS', () => {
    const c = call();
    expect(actionsOf(c.last)).toEqual(['answer caller', 'play f:p1']);
    expect(c.last).toContainEqual({ type: 'play', channelId: 'caller', playbackId: 'f:p1', prompt: DEFAULT_GREETING });
    expect(stepsOf(c.last).at(-1)).toEqual({ kind: 'voicemail', boxId: 'vm1', name: 'Box vm1', durationS: null });
    expect(actionsOf(c.playbackDone())).toEqual(['record f:r2 90s beep', 'timer f:t3 100000ms']);
  });

  it('plays the box greeting when it has one', () => {
    const greeting = { kind: 'audio', audioId: 'a1' } as const;
    expect(call({ greeting }).last).toContainEqual({ type: 'play', channelId: 'caller', playbackId: 'f:p1', prompt: greeting });
  });

  // The two orders the runtime may report a caller who hangs up while recording, and the ordinary end.
  const orders: { name: string; events: ('hangup' | 'finished')[]; durationS: number; left: boolean; actions: string[] }[] = [
    { name: 'recording ends (max length), then the flow hangs up', events: ['finished'], durationS: 90, left: true, actions: ['cancel f:t3', 'voicemail-left vm1 f:r2 90s', 'hangup caller 16', 'done'] },
    { name: 'caller hangs up, then the recording reports', events: ['hangup', 'finished'], durationS: 12, left: true, actions: ['cancel f:t3', 'voicemail-left vm1 f:r2 12s', 'done'] },
    { name: 'recording reports, then the caller hangup arrives', events: ['finished', 'hangup'], durationS: 12, left: true, actions: [] },
    { name: 'caller hangs up at the beep: no message', events: ['hangup', 'finished'], durationS: 0, left: false, actions: ['cancel f:t3', 'done'] },
  ];
  it.each(orders)('$name', ({ events, durationS, left }) => {
    const c = call();
    c.playbackDone();
    for (const e of events) c.send(e === 'hangup' ? callerHangup : finished(durationS));
    const messages = c.all.filter((x) => x.type === 'voicemail-left');
    expect(messages).toEqual(left ? [{ type: 'voicemail-left', boxId: 'vm1', recordingId: 'f:r2', durationS }] : []);
    expect(c.all.filter((x) => x.type === 'done')).toHaveLength(1);
    expect(c.all.filter((x) => x.type === 'stop-recording')).toEqual([]);
    expect(c.phase.phase).toBe('ended');
  });

  it.each(orders)('commands of the last event: $name', ({ events, durationS, actions }) => {
    const c = call();
    c.playbackDone();
    for (const e of events) c.send(e === 'hangup' ? callerHangup : finished(durationS));
    expect(actionsOf(c.last)).toEqual(actions);
  });

  it('a recording that never reports is stopped after maxMessageS and a grace', () => {
    const c = call();
    c.playbackDone();
    expect(actionsOf(c.timerFires())).toEqual(['stop-recording f:r2', 'hangup caller 16', 'done']);
  });

  it('caller hanging up during the greeting ends the flow without a recording', () => {
    const c = call();
    const out = c.send(callerHangup);
    expect(actionsOf(out)).toEqual(['stop-playback f:p1', 'done']);
    expect(kindsOf(out)).toEqual(['hangup']);
    expect(c.all.some((x) => x.type === 'record')).toBe(false);
  });
});
