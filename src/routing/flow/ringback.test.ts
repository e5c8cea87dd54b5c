import { describe, expect, it } from 'vitest';
import { TestCall, actionsOf } from '../test-call.ts';
import { context, extension, ivrMenu, ringGroup, snapshot, voicemailBox } from '../test-fixtures.ts';

// An answered caller (it heard a menu) hears a ringing tone while phones ring, from the first member rung until
// the ringing ends, whatever comes next; a caller not answered yet hears its carrier's ringback instead.

function call(destination: 'menu' | 'group'): TestCall {
  const config = snapshot({
    numbers: { '+4930100': destination === 'menu' ? { type: 'ivr', id: 'm1' } : { type: 'ring-group', id: 'g1' } },
    extensions: [extension('e1', '101'), extension('e2', '102')],
    ringGroups: [ringGroup('g1', ['e1', 'e2'], { strategy: 'sequential', fallback: { type: 'voicemail', id: 'vm1' } })],
    ivrMenus: [ivrMenu('m1', { options: { '2': { type: 'ring-group', id: 'g1' } } })],
    voicemailBoxes: [voicemailBox('vm1')],
  });
  return new TestCall(context(config));
}

const ringbacks = (actions: string[]) => actions.filter((a) => a.startsWith('ringback'));

describe('ringback for an answered caller', () => {
  it('plays once from the first member rung to the answer, and stops before the bridge', () => {
    const c = call('menu');
    c.playbackDone();
    const ringing = actionsOf(c.press('2'));
    expect(ringbacks(ringing)).toHaveLength(1);
    const ringbackId = ringbacks(ringing)[0]!.split(' ')[1]!;
    expect(ringing.indexOf(ringbacks(ringing)[0]!)).toBeGreaterThan(ringing.findIndex((a) => a.startsWith('originate')));
    // The next member: the tone goes on.
    expect(ringbacks(actionsOf(c.timerFires()))).toEqual([]);
    const answered = actionsOf(c.send({ type: 'answered', channelId: (c.phase as { legs: { channelId: string }[] }).legs[0]!.channelId }));
    expect(answered[0]).toBe(`stop-playback ${ringbackId}`);
    expect(answered.some((a) => a.startsWith('bridge'))).toBe(true);
    expect(c.state.ringbackId).toBeNull();
  });

  it('stops before the fallback speaks (voicemail greeting)', () => {
    const c = call('menu');
    c.playbackDone();
    const ringbackId = ringbacks(actionsOf(c.press('2')))[0]!.split(' ')[1]!;
    c.timerFires();
    const fallback = actionsOf(c.timerFires());
    expect(fallback[0]).toBe(`stop-playback ${ringbackId}`);
    expect(c.phase.phase).toBe('voicemail-greeting');
  });

  it('is not played to a caller that is not answered (its carrier plays ringback)', () => {
    const c = call('group');
    expect(ringbacks(actionsOf(c.last))).toEqual([]);
    expect(c.state.answered).toBe(false);
  });
});
