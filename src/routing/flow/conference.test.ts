import { describe, expect, it } from 'vitest';
import type { ConferenceRoom } from '../objects/model.ts';
import { ROOM_FULL_PROMPT } from './conference.ts';
import { TestCall, actionsOf, stepsOf, where } from '../test-call.ts';
import { conferenceRoom, context, snapshot } from '../test-fixtures.ts';

// Pins are checked by the context as `hash:<pin>` (test-fixtures.ts).
const pins = { pinHash: 'hash:1234', hostPinHash: 'hash:9999' };

function call(over: Partial<ConferenceRoom>, size = 0): TestCall {
  const config = snapshot({
    numbers: { '+4930100': { type: 'conference', id: 'r1' } },
    conferences: [conferenceRoom('r1', { maxParticipants: 3, ...over })],
  });
  return new TestCall(context(config, { conferenceSizes: { r1: size } }));
}

const results = (c: TestCall) =>
  stepsOf(c.all).flatMap((s) => (s.kind === 'conference' ? [`${s.result}${s.host ? ':host' : ''}`] : []));

describe('conference rooms', () => {
  // Entries are typed after the prompt has ended ('done' first) unless the case says barge-in.
  const cases: { name: string; room: Partial<ConferenceRoom>; size?: number; script: string[]; results: string[]; end: string }[] = [
    { name: 'a room without pins lets the caller in', room: {}, script: [], results: ['joined'], end: 'in-conference' },
    { name: 'right pin', room: pins, script: ['done', '1234#'], results: ['joined'], end: 'in-conference' },
    { name: 'host pin makes a host', room: pins, script: ['done', '9999#'], results: ['joined:host'], end: 'in-conference' },
    { name: 'wrong pin, then the right one typed over the retry prompt', room: pins, script: ['done', '1111#', '1234#'], results: ['wrong-pin', 'joined'], end: 'in-conference' },
    { name: 'three wrong pins: a goodbye, then the call ends', room: pins, script: ['done', '1#', 'done', '2#', 'done', '3#', 'done'], results: ['wrong-pin', 'wrong-pin', 'wrong-pin'], end: 'hangup 16: wrong conference pin' },
    { name: 'the pin timer ends an entry without #', room: pins, script: ['done', '1234', 'timer'], results: ['joined'], end: 'in-conference' },
    { name: 'only a host pin: anyone else joins as a participant', room: { hostPinHash: 'hash:9999' }, script: ['done', '#'], results: ['joined'], end: 'in-conference' },
    { name: 'a full room says so, then refuses the caller', room: {}, size: 3, script: ['done'], results: ['full'], end: 'hangup 16: conference full' },
    { name: 'a room that filled while the pin was typed', room: pins, size: 3, script: ['done', '1234#', 'done'], results: ['full'], end: 'hangup 16: conference full' },
  ];

  it.each(cases)('$name', ({ room, size, script, results: expected, end }) => {
    const c = call(room, size);
    for (const word of script) {
      if (word === 'done') c.playbackDone();
      else if (word === 'timer') c.timerFires();
      else c.press(word);
    }
    expect(results(c)).toEqual(expected);
    expect(where(c)).toBe(end);
  });

  it('asks for the pin, then joins the room bridge', () => {
    const c = call(pins);
    expect(actionsOf(c.last)).toEqual(['answer caller', 'play f:p1']);
    expect(actionsOf(c.playbackDone())).toEqual(['timer f:t2 10000ms']);
    const out = c.press('1234#');
    expect(actionsOf(out).at(-1)).toBe('bridge conf:r1 caller');
    expect(c.phase).toEqual({ phase: 'in-conference', roomId: 'r1', bridgeId: 'conf:r1', host: false });
  });

  it('a key during the pin prompt stops it', () => {
    const c = call(pins);
    expect(actionsOf(c.press('1'))).toEqual(['stop-playback f:p1', 'timer f:t2 10000ms']);
  });

  it.each([
    { pin: '1234#', join: { roomId: 'r1', host: false, muted: true, waitForHost: true, announceJoinLeave: true, record: false } },
    { pin: '9999#', join: { roomId: 'r1', host: true, muted: false, waitForHost: false, announceJoinLeave: true, record: false } },
  ])('mute on entry and wait for host apply to participants, not hosts ($pin)', ({ pin, join }) => {
    const c = call({ ...pins, muteOnEntry: true, waitForHost: true, announceJoinLeave: true });
    c.playbackDone();
    expect(c.press(pin)).toContainEqual({ type: 'bridge', bridgeId: 'conf:r1', channelIds: ['caller'], conference: join });
  });

  it('a full room tells the caller before hanging up; a caller who hangs up first just ends', () => {
    const c = call({}, 3);
    expect(actionsOf(c.last)).toEqual(['answer caller', 'play f:p1']);
    expect(c.last).toContainEqual({ type: 'play', channelId: 'caller', playbackId: 'f:p1', prompt: ROOM_FULL_PROMPT });
    expect(c.phase).toEqual({ phase: 'farewell', playbackId: 'f:p1', reason: 'conference full', cause: 16 });
    expect(actionsOf(c.playbackDone())).toEqual(['hangup caller 16', 'done']);
    const gone = call({}, 3);
    expect(actionsOf(gone.send({ type: 'hangup', channelId: 'caller', cause: 16 }))).toEqual(['stop-playback f:p1', 'done']);
  });

  it('caller leaving the conference ends the flow', () => {
    const c = call({});
    expect(actionsOf(c.send({ type: 'hangup', channelId: 'caller', cause: 16 }))).toEqual(['done']);
  });
});
