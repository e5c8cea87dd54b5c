import { describe, expect, it } from 'vitest';
import type { CallDetail, TimelineEntry } from '../../src/domain/call.ts';
import {
  buildLegTimeline,
  legLabel,
  offsetLabel,
  MAX_MARK_TIERS,
  percentAlong,
  placeMarks,
  preciseOffsetLabel,
  type LaneMark,
} from '../../web/src/lib/leg-lanes.ts';
import { addSeconds, makeCall, makeLeg } from '../support/call-factory.ts';

const START = '2026-11-21T04:00:00.000Z';
const at = (seconds: number) => addSeconds(START, seconds);
const ms = (seconds: number) => Date.parse(at(seconds));

function entry(seconds: number, kind: TimelineEntry['kind'], channelId: string | null, text: string = kind): TimelineEntry {
  return { at: at(seconds), kind, channelId, text, data: {} };
}

function detailOf(timeline: TimelineEntry[], overrides: Partial<CallDetail> = {}): CallDetail {
  const legs = [
    makeLeg({ channelId: 'a', createdAt: at(0), answeredAt: at(5), endedAt: at(65), causeText: 'Normal Clearing' }),
    makeLeg({ channelId: 'b', name: 'Local/200@from-test-00000003;2', endpoint: 'Local/200@from-test', createdAt: at(1), answeredAt: at(5), endedAt: at(64) }),
  ];
  return { ...makeCall({ id: 'c1', startedAt: START, ringSeconds: 5, talkSeconds: 60, legs }), timeline, ...overrides };
}

describe('buildLegTimeline', () => {
  it('draws one lane per leg with ringing then talking segments, spanning the call', () => {
    const model = buildLegTimeline(detailOf([]), ms(1000));
    expect(model.startMs).toBe(ms(0));
    expect(model.endMs).toBe(ms(65));
    expect(model.lanes.map((lane) => lane.leg.channelId)).toEqual(['a', 'b']);
    expect(model.lanes[1]!.segments).toEqual([
      { kind: 'ringing', startMs: ms(1), endMs: ms(5) },
      { kind: 'talking', startMs: ms(5), endMs: ms(64) },
    ]);
  });

  it('pairs bridge and hold entries per channel; one left open runs to the end of its leg', () => {
    const model = buildLegTimeline(
      detailOf([
        entry(5, 'bridge_entered', 'a'),
        entry(20, 'hold', 'a'),
        entry(30, 'unhold', 'a'),
        entry(50, 'bridge_left', 'a'),
        entry(6, 'bridge_entered', 'b'),
      ]),
      ms(1000),
    );
    const [laneA, laneB] = model.lanes;
    expect(laneA!.segments.filter((s) => s.kind === 'bridged')).toEqual([{ kind: 'bridged', startMs: ms(5), endMs: ms(50) }]);
    expect(laneA!.segments.filter((s) => s.kind === 'held')).toEqual([{ kind: 'held', startMs: ms(20), endMs: ms(30) }]);
    expect(laneB!.segments.filter((s) => s.kind === 'bridged')).toEqual([{ kind: 'bridged', startMs: ms(6), endMs: ms(64) }]);
  });

  it('marks DTMF, transfers and hangups on their leg, and entries of unknown channels on the call', () => {
    const model = buildLegTimeline(
      detailOf([entry(10, 'dtmf', 'a', 'DTMF 5'), entry(12, 'transfer', 'b', 'Blind transfer'), entry(14, 'dtmf', 'zz', 'DTMF 9')]),
      ms(1000),
    );
    expect(model.lanes[0]!.marks).toEqual([
      { kind: 'dtmf', atMs: ms(10), label: 'DTMF 5' },
      { kind: 'hangup', atMs: ms(65), label: 'Hangup: Normal Clearing' },
    ]);
    expect(model.lanes[1]!.marks.map((mark) => mark.kind)).toEqual(['transfer', 'hangup']);
    expect(model.callMarks).toEqual([{ kind: 'dtmf', atMs: ms(14), label: 'DTMF 9' }]);
  });

  it('runs a live call up to now, and a ringing leg has no talking segment', () => {
    const legs = [makeLeg({ channelId: 'a', createdAt: at(0) })];
    const live = { ...makeCall({ id: 'c2', shape: 'ringing', startedAt: START, legs }), timeline: [] };
    const model = buildLegTimeline(live, ms(12));
    expect(model.endMs).toBe(ms(12));
    expect(model.lanes[0]!.segments).toEqual([{ kind: 'ringing', startMs: ms(0), endMs: ms(12) }]);
  });

  it('never returns an empty span and lays ticks from the start at a round step', () => {
    const legs = [makeLeg({ channelId: 'a', createdAt: at(0), endedAt: at(0) })];
    const instant = { ...makeCall({ id: 'c3', startedAt: START, legs, endedAt: at(0) }), status: 'finished' as const, timeline: [] };
    const tiny = buildLegTimeline(instant, ms(0));
    expect(tiny.endMs - tiny.startMs).toBe(1000);
    const model = buildLegTimeline(detailOf([]), ms(1000));
    expect(model.ticks.map((tick) => tick.label)).toEqual(['+0:00', '+0:15', '+0:30', '+0:45', '+1:00']);
  });
});

describe('axis helpers', () => {
  it('clamps positions to the axis', () => {
    const axis = { startMs: 1000, endMs: 3000 };
    expect(percentAlong(axis, 2000)).toBe(50);
    expect(percentAlong(axis, 0)).toBe(0);
    expect(percentAlong(axis, 9000)).toBe(100);
  });

  it('labels offsets and legs for people', () => {
    expect(offsetLabel(65_000)).toBe('+1:05');
    expect(offsetLabel(3_725_000)).toBe('+1:02:05');
    expect(preciseOffsetLabel(1003)).toBe('+1.00 s');
    expect(preciseOffsetLabel(125_000)).toBe('+2:05');
    expect(legLabel({ endpoint: 'Local/200@from-test', name: 'Local/200@from-test-00000003;2' })).toBe('Local/200@from-test ;2');
    expect(legLabel({ endpoint: 'PJSIP/alice', name: 'PJSIP/alice-00000001' })).toBe('PJSIP/alice');
  });
});

describe('placeMarks', () => {
  const model = { startMs: ms(0), endMs: ms(100) };
  const mark = (kind: LaneMark['kind'], seconds: number): LaneMark => ({ kind, atMs: ms(seconds), label: kind });

  it('raises a mark that would cover another: a transfer at its leg\'s hangup stays on the track, the hangup goes up', () => {
    const lane = buildLegTimeline(
      detailOf([entry(65, 'transfer', 'a', 'Blind transfer')]),
      ms(1000),
    ).lanes[0]!;
    expect(lane.marks.map((m) => [m.kind, m.atMs])).toEqual([['transfer', ms(65)], ['hangup', ms(65)]]);
    const placed = placeMarks(lane.marks, { startMs: ms(0), endMs: ms(65) }, 3);
    expect(placed.map((m) => [m.kind, m.tier])).toEqual([['transfer', 0], ['hangup', 1]]);
  });

  it('keeps marks a mark\'s width apart on the track, and places them in time order', () => {
    const placed = placeMarks([mark('hangup', 90), mark('dtmf', 10), mark('dtmf', 12), mark('transfer', 11)], model, 3);
    expect(placed.map((m) => [m.kind, m.atMs, m.tier])).toEqual([
      ['dtmf', ms(10), 0],
      ['transfer', ms(11), 1],
      ['dtmf', ms(12), 2],
      ['hangup', ms(90), 0],
    ]);
    // Far enough apart: one tier.
    expect(placeMarks([mark('dtmf', 10), mark('dtmf', 20)], model, 3).map((m) => m.tier)).toEqual([0, 0]);
  });

  it('never stacks higher than its tiers, however many marks share an instant', () => {
    const placed = placeMarks(Array.from({ length: 10 }, () => mark('dtmf', 50)), model, 3);
    expect(Math.max(...placed.map((m) => m.tier))).toBe(MAX_MARK_TIERS);
    expect(placed.slice(0, MAX_MARK_TIERS + 1).map((m) => m.tier)).toEqual([0, 1, 2, 3]);
  });
});
