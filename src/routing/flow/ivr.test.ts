import { describe, expect, it } from 'vitest';
import type { IvrMenu } from '../objects/model.ts';
import { TestCall, actionsOf, kindsOf, stepsOf } from '../test-call.ts';
import { context, extension, ivrMenu, snapshot, voicemailBox } from '../test-fixtures.ts';

// Script words: 'done' ends the current playback, 'timer' fires the current timer, anything else is keys pressed.
function run(menu: Partial<IvrMenu>, script: string[]): TestCall {
  const config = snapshot({
    numbers: { '+4930100': { type: 'ivr', id: 'm1' } },
    ivrMenus: [ivrMenu('m1', { options: { '1': { type: 'voicemail', id: 'vm1' } }, ...menu })],
    extensions: [extension('e10', '10'), extension('e101', '101'), extension('e102', '102')],
    voicemailBoxes: [voicemailBox('vm1')],
  });
  const call = new TestCall(context(config));
  for (const word of script) {
    if (word === 'done') call.playbackDone();
    else if (word === 'timer') call.timerFires();
    else call.press(word);
  }
  return call;
}

const choices = (call: TestCall) =>
  stepsOf(call.all).flatMap((s) => (s.kind === 'ivr-choice' ? [`${s.digits}:${s.result}`] : []));

const cases: { name: string; menu: Partial<IvrMenu>; script: string[]; choices: string[]; kinds: string[]; phase: string }[] = [
  {
    name: 'a key after the prompt picks its option',
    menu: {},
    script: ['done', '1'],
    choices: ['1:option'],
    kinds: ['number', 'ivr-prompt', 'ivr-choice', 'voicemail'],
    phase: 'voicemail-greeting',
  },
  {
    name: 'a key during the prompt counts (barge-in)',
    menu: {},
    script: ['1'],
    choices: ['1:option'],
    kinds: ['number', 'ivr-prompt', 'ivr-choice', 'voicemail'],
    phase: 'voicemail-greeting',
  },
  {
    name: 'invalid key: invalid prompt, the menu again, then a valid key',
    menu: { invalidPrompt: { kind: 'text', text: 'Invalid' } },
    script: ['done', '7', 'done', 'done', '1'],
    choices: ['7:invalid', '1:option'],
    kinds: ['number', 'ivr-prompt', 'ivr-choice', 'ivr-prompt', 'ivr-choice', 'voicemail'],
    phase: 'voicemail-greeting',
  },
  {
    name: 'timeouts past the retries go to the failover',
    menu: { retries: 1 },
    script: ['done', 'timer', 'done', 'timer'],
    choices: [':timeout', ':timeout'],
    kinds: ['number', 'ivr-prompt', 'ivr-choice', 'ivr-prompt', 'ivr-choice', 'fallback', 'hangup'],
    phase: 'ended',
  },
  {
    name: 'no retries: the first invalid key goes to the failover',
    menu: { retries: 0, failover: { type: 'voicemail', id: 'vm1' } },
    script: ['done', '9'],
    choices: ['9:invalid'],
    kinds: ['number', 'ivr-prompt', 'ivr-choice', 'fallback', 'voicemail'],
    phase: 'voicemail-greeting',
  },
  {
    name: 'direct dial: a full extension number rings it',
    menu: { directDial: true },
    script: ['done', '10', '2'],
    choices: ['102:direct-dial'],
    kinds: ['number', 'ivr-prompt', 'ivr-choice', 'ring'],
    phase: 'ringing',
  },
  {
    name: 'direct dial: an option key alone is taken when the inter-digit timer runs out',
    menu: { directDial: true },
    script: ['done', '1', 'timer'],
    choices: ['1:option'],
    kinds: ['number', 'ivr-prompt', 'ivr-choice', 'voicemail'],
    phase: 'voicemail-greeting',
  },
  {
    name: 'direct dial: # ends a number that is a prefix of another',
    menu: { directDial: true },
    script: ['done', '10#'],
    choices: ['10:direct-dial'],
    kinds: ['number', 'ivr-prompt', 'ivr-choice', 'ring'],
    phase: 'ringing',
  },
  {
    name: 'direct dial: a number nobody has is invalid',
    menu: { directDial: true },
    script: ['done', '19'],
    choices: ['19:invalid'],
    kinds: ['number', 'ivr-prompt', 'ivr-choice', 'ivr-prompt'],
    phase: 'ivr-playing',
  },
  {
    name: '# alone is an option like any key',
    menu: { options: { '#': { type: 'voicemail', id: 'vm1' } } },
    script: ['done', '#'],
    choices: ['#:option'],
    kinds: ['number', 'ivr-prompt', 'ivr-choice', 'voicemail'],
    phase: 'voicemail-greeting',
  },
];

describe('IVR menus', () => {
  it.each(cases)('$name', ({ menu, script, choices: expected, kinds, phase }) => {
    const call = run(menu, script);
    expect(choices(call)).toEqual(expected);
    expect(kindsOf(call.all)).toEqual(kinds);
    expect(call.phase.phase).toBe(phase);
  });

  it('answers the caller before the prompt and waits timeoutS for the first key', () => {
    const call = run({ timeoutS: 7 }, []);
    expect(actionsOf(call.last)).toEqual(['answer caller', 'play f:p1']);
    expect(actionsOf(call.playbackDone())).toEqual(['timer f:t2 7000ms']);
  });

  it('barge-in stops the prompt, and the option plays next without a timer', () => {
    const call = run({}, []);
    expect(actionsOf(call.press('1'))).toEqual(['stop-playback f:p1', 'play f:p2']);
  });

  it('direct dial waits interDigitTimeoutMs between keys', () => {
    const call = run({ directDial: true, interDigitTimeoutMs: 1500 }, ['done']);
    expect(actionsOf(call.press('1'))).toEqual(['cancel f:t2', 'timer f:t3 1500ms']);
    expect(actionsOf(call.press('0'))).toEqual(['cancel f:t3', 'timer f:t4 1500ms']);
  });

  it('plays the timeout prompt before the menu again', () => {
    const call = run({ timeoutPrompt: { kind: 'text', text: 'Still there?' } }, ['done']);
    const out = call.timerFires();
    expect(out).toContainEqual({ type: 'play', channelId: 'caller', playbackId: 'f:p3', prompt: { kind: 'text', text: 'Still there?' } });
    expect(call.phase).toMatchObject({ phase: 'ivr-playing', then: 'replay', attempt: 1 });
  });
});
