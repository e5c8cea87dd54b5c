import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayLines } from '../../src/app/replay.ts';

// Every recorded Asterisk 22 trace replayed through the real pipeline, with its call outcome asserted.

const dir = join(import.meta.dirname, '..', 'fixtures', 'ari');
const load = (name: string): string[] => readFileSync(join(dir, `${name}.jsonl`), 'utf8').split('\n');

/**
 * The originators the recording app named in its own requests (`originator=` of `POST /channels`): an engine
 * making those requests notes them. Without channelvars nothing in the events tells such a leg (it shares the
 * originator's linkedid from the start) from one created without (it joins only when bridged, its Local twin not).
 */
function originatorsOf(name: string): Map<string, string> {
  const notes = new Map<string, string>();
  for (const line of readFileSync(join(dir, `${name}.actions.jsonl`), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const action = JSON.parse(line) as { path: string; body: { id?: unknown } | null };
    const originator = new URL(action.path, 'http://ari').searchParams.get('originator');
    if (originator && typeof action.body?.id === 'string') notes.set(action.body.id, originator);
  }
  return notes;
}
const replay = (name: string) => replayLines(load(name), undefined, undefined, originatorsOf(name));

interface Expected {
  id: string;
  disposition: string;
  legs: number;
  from: string;
  to: string;
  answered: boolean;
  hangupCause: number | null;
  talkMs?: [number, number];
}

const cases: Record<string, Expected> = {
  a_answer_wait_hangup: { id: '1795234247.0', disposition: 'answered', legs: 2, from: '5551000', to: '100', answered: true, hangupCause: 16, talkMs: [1900, 2100] },
  a_answer_wait_hangup_channelvars: { id: '1795234344.234', disposition: 'answered', legs: 2, from: '5551000', to: '100', answered: true, hangupCause: 16 },
  a_answer_wait_hangup_nosubscribeall: { id: '1795234461.256', disposition: 'answered', legs: 1, from: '5551000', to: '100', answered: true, hangupCause: null },
  b_unanswered_caller_hangup: { id: '1795234256.2', disposition: 'cancelled', legs: 2, from: '5552000', to: '100', answered: false, hangupCause: 16, talkMs: [0, 0] },
  c_dial_answered: { id: '1795234265.6', disposition: 'answered', legs: 4, from: '5554000', to: '200', answered: true, hangupCause: 16, talkMs: [2400, 2600] },
  c_dial_answered_channelvars: { id: '1795234348.236', disposition: 'answered', legs: 4, from: '5554000', to: '200', answered: true, hangupCause: 16 },
  d1_dial_busy: { id: '1795234271.10', disposition: 'busy', legs: 4, from: '5555000', to: '300', answered: false, hangupCause: 17, talkMs: [0, 0] },
  d2_dial_noanswer: { id: '1795234275.18', disposition: 'no_answer', legs: 4, from: '5556000', to: '302', answered: false, hangupCause: 19, talkMs: [0, 0] },
  e_dtmf_varset: { id: '1795234298.32', disposition: 'answered', legs: 2, from: '5558000', to: '100', answered: true, hangupCause: 16 },
  e_dtmf_varset_channelvars: { id: '1795234354.240', disposition: 'answered', legs: 2, from: '5558000', to: '100', answered: true, hangupCause: 16 },
  f_ari_bridge: { id: '1795234290.28', disposition: 'answered', legs: 4, from: '5559000', to: '100', answered: true, hangupCause: 16 },
  f_ari_bridge_channelvars: { id: '1795234358.242', disposition: 'answered', legs: 4, from: '5559000', to: '100', answered: true, hangupCause: 16 },
  h_sipp_inbound_stasis: { id: '1795234416.249', disposition: 'answered', legs: 1, from: 'sipp', to: '100', answered: true, hangupCause: 0 },
  h3_sipp_cancel_while_ringing: { id: '1795234425.251', disposition: 'cancelled', legs: 1, from: 'sipp', to: '100', answered: false, hangupCause: 127 },
};

describe('recorded traces replayed', () => {
  for (const [name, want] of Object.entries(cases)) {
    it(name, () => {
      const { calls, invalid } = replay(name);
      expect(invalid).toEqual([]);
      expect(calls).toHaveLength(1);
      const call = calls[0]!;
      expect(call.id).toBe(want.id);
      expect(call.status).toBe('finished');
      expect(call.disposition).toBe(want.disposition);
      expect(call.legs).toHaveLength(want.legs);
      expect(call.from).toBe(want.from);
      expect(call.to).toBe(want.to);
      expect(call.answeredAt !== null).toBe(want.answered);
      expect(call.hangupCause).toBe(want.hangupCause);
      expect(call.closedBy).toBe('hangup');
      expect(call.durationMs).toBe(Date.parse(call.endedAt!) - Date.parse(call.startedAt));
      if (want.talkMs) {
        expect(call.talkMs).toBeGreaterThanOrEqual(want.talkMs[0]);
        expect(call.talkMs).toBeLessThanOrEqual(want.talkMs[1]);
      }
      for (const leg of call.legs) {
        if (name !== 'a_answer_wait_hangup_nosubscribeall') expect(leg.endedAt).not.toBeNull();
        expect(leg.createdAt <= (leg.endedAt ?? '9')).toBe(true);
      }
    });
  }

  it('keeps the SIP CANCEL cause and its SIP status on the leg', () => {
    const call = replayLines(load('h3_sipp_cancel_while_ringing')).calls[0]!;
    expect(call.hangupCauseText).toBe('Interworking, unspecified');
    expect(call.legs[0]!.techCause).toBe(487);
  });

  it('answeredAt is when the first channel went Up', () => {
    const call = replayLines(load('c_dial_answered')).calls[0]!;
    expect(call.legs[0]!.channelId).toBe(call.id);
    expect(call.answeredAt).toBe(call.legs[0]!.answeredAt);
    expect(call.answeredAt).toBe('2026-11-21T04:11:06.680Z');
  });
});

describe('grouping without channelvars equals grouping with them', () => {
  // The *_channelvars traces carry CHANNEL(linkedid): the ground truth for which channels form a call.
  const pairs = ['a_answer_wait_hangup', 'c_dial_answered', 'e_dtmf_varset', 'f_ari_bridge'];

  /** The partition of channels into calls, written with channel names (ids differ between recordings). */
  function partitionByLinkedId(lines: string[]): string[][] {
    const groups = new Map<string, Set<string>>();
    for (const line of lines) {
      if (!line.trim()) continue;
      const { event } = JSON.parse(line) as { event: Record<string, any> };
      for (const key of ['channel', 'peer', 'caller']) {
        const ch = event[key];
        const linked = ch?.channelvars?.['CHANNEL(linkedid)'];
        if (!ch || !linked) continue;
        const set = groups.get(linked) ?? new Set<string>();
        set.add(ch.name.replace(/-[0-9a-f]{8}(;\d)?$/, '$1'));
        groups.set(linked, set);
      }
    }
    return [...groups.values()].map((s) => [...s].sort()).sort();
  }

  for (const name of pairs) {
    it(name, () => {
      const truth = partitionByLinkedId(load(`${name}_channelvars`));
      const without = replay(name).calls;
      const partition = without.map((c) => c.legs.map((l) => l.name.replace(/-[0-9a-f]{8}(;\d)?$/, '$1')).sort()).sort();
      expect(partition).toEqual(truth);
      // and the id found without channelvars is the linkedid Asterisk would have reported
      const withVars = replayLines(load(`${name}_channelvars`)).calls;
      expect(withVars.map((c) => c.id)).toEqual(
        [...new Set(load(`${name}_channelvars`).filter(Boolean).map((l) => JSON.parse(l).event.channel?.channelvars?.['CHANNEL(linkedid)']).filter(Boolean))],
      );
      expect(without[0]!.id).toBe(without[0]!.legs[0]!.channelId);
    });
  }
});
