import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DIRECTION_RULES } from '../app/replay.ts';
import { Pipeline } from '../app/pipeline.ts';
import type { CallRecord } from '../domain/call.ts';
import { directionPolicy } from '../domain/direction.ts';
import { planBackfill, type KnownLeg } from './backfill-events.ts';
import { parseCelLine, type CelRecord } from './cel-record.ts';

// CEL lines written by a real Asterisk 22 (test/fixtures/cel, example config's cel_custom.conf) turned into
// channel events and folded by the engine's own pipeline: the calls must be what Asterisk recorded.

const policy = directionPolicy(DEFAULT_DIRECTION_RULES);

function rowsOf(name: string): CelRecord[] {
  const text = readFileSync(new URL(`../../test/fixtures/cel/${name}.jsonl`, import.meta.url), 'utf8');
  return text.split('\n').map(parseCelLine).filter((r): r is CelRecord => r !== null);
}

function fold(events: readonly Record<string, unknown>[], pipeline = new Pipeline({ policy })): CallRecord[] {
  for (const e of events) expect(pipeline.ingestObject(e, new Date('2027-01-01T00:00:00Z'), 'pbx1').ok).toBe(true);
  const calls = new Map<string, CallRecord>();
  for (const m of pipeline.drain(0).live) if (m.type !== 'call.merged') calls.set(m.call.id, m.call);
  return [...calls.values()];
}

const iso = (seconds: number): string => new Date(Math.round(seconds * 1000)).toISOString();

describe('CEL rows → channel events', () => {
  it.each([
    // name, linkedid, disposition, start, answer, end, cause, legs
    ['answered', '1796508058.0', 'answered', 1796508058.793538, 1796508059.795254, 1796508062.302174, 16, 3],
    ['busy', '1796508063.3', 'busy', 1796508063.413151, null, 1796508063.413968, 16, 3],
    ['caller-cancel', 'cancelme', 'cancelled', 1796508064.426348, null, 1796508066.435478, 16, 4],
    ['no-answer', '1796508070.10', 'no_answer', 1796508070.085436, null, 1796508075.089792, 16, 3],
  ] as const)('%s: one call with CEL times, disposition and numbers, marked backfilled', (name, id, disposition, start, answer, end, cause, legs) => {
    const plan = planBackfill(rowsOf(name), new Map());
    expect(plan.newChannels).toBe(legs);
    expect(plan.correctedChannels).toBe(0);
    expect(plan.linkedIds).toEqual([id]);
    expect(plan.events.every((e) => e.callflow_source === 'cel')).toBe(true);
    const calls = fold(plan.events);
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect({
      id: call.id,
      status: call.status,
      disposition: call.disposition,
      startedAt: call.startedAt,
      answeredAt: call.answeredAt,
      endedAt: call.endedAt,
      hangupCause: call.hangupCause,
      backfilled: call.backfilled,
      closedBy: call.closedBy,
      endEstimated: call.endEstimated,
      legs: call.legs.length,
    }).toEqual({
      id,
      status: 'finished',
      disposition,
      startedAt: iso(start),
      answeredAt: answer === null ? null : iso(answer),
      endedAt: iso(end),
      hangupCause: cause,
      backfilled: true,
      closedBy: 'hangup',
      endEstimated: false,
      legs,
    });
  });

  it('a blind transfer (SIP REFER): one call through both bridges, the transfer on its timeline', () => {
    const plan = planBackfill(rowsOf('blind-transfer'), new Map());
    const calls = fold(plan.events);
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect({ id: call.id, status: call.status, disposition: call.disposition, from: call.from, to: call.to, legs: call.legs.length, endedAt: call.endedAt }).toEqual({
      id: '1796509305.0',
      status: 'finished',
      disposition: 'answered',
      from: 'sipp',
      to: '301',
      legs: 5,
      endedAt: iso(1796509312.469883),
    });
    const transfer = plan.events.find((e) => e.type === 'BridgeBlindTransfer')!;
    expect(transfer).toMatchObject({ exten: '301', context: 'from-sipp', channel: { id: '1796509305.0' }, transferee: { id: '1796509305.1' } });
  });

  it('gives from and to as the dialplan saw them', () => {
    const [call] = fold(planBackfill(rowsOf('answered'), new Map()).events);
    expect({ from: call!.from, to: call!.to }).toEqual({ from: 'sipp', to: '301' });
    const [cancelled] = fold(planBackfill(rowsOf('caller-cancel'), new Map()).events);
    expect({ from: cancelled!.from, to: cancelled!.to }).toEqual({ from: '5557000', to: '303' });
  });

  it('several calls in one window, rows in any order, stay apart', () => {
    const rows = [...rowsOf('answered'), ...rowsOf('busy'), ...rowsOf('no-answer')].reverse();
    const calls = fold(planBackfill(rows, new Map()).events);
    expect(calls.map((c) => [c.id, c.disposition]).sort()).toEqual([
      ['1796508058.0', 'answered'],
      ['1796508063.3', 'busy'],
      ['1796508070.10', 'no_answer'],
    ]);
  });

  it('leaves alone channels whose end the engine saw: planning again after ingesting adds nothing', () => {
    const rows = rowsOf('busy');
    const calls = fold(planBackfill(rows, new Map()).events);
    const known = new Map<string, KnownLeg>(calls[0]!.legs.map((l) => [l.channelId, l]));
    const again = planBackfill(rows, known);
    expect(again.events).toEqual([]);
    expect(again.newChannels + again.correctedChannels).toBe(0);
  });

  it('ends a call the engine saw start with the hangup CEL recorded, and its answer', () => {
    const rows = rowsOf('answered');
    const cut = 1796508059_000; // the engine saw the channels start, then lost the socket before the answer
    const pipeline = new Pipeline({ policy });
    const before = fold(planBackfill(rows.filter((r) => r.atMs < cut), new Map()).events, pipeline);
    expect(before[0]!.status).toBe('ringing');
    const known = new Map<string, KnownLeg>(before[0]!.legs.map((l) => [l.channelId, l]));
    const plan = planBackfill(rows, known);
    expect(plan.newChannels).toBe(0);
    expect(plan.correctedChannels).toBe(3);
    expect(plan.events.some((e) => e.type === 'ChannelCreated')).toBe(false);
    const [call] = fold(plan.events, pipeline);
    expect({ status: call!.status, disposition: call!.disposition, answeredAt: call!.answeredAt, endedAt: call!.endedAt, closedBy: call!.closedBy }).toEqual({
      status: 'finished',
      disposition: 'answered',
      answeredAt: iso(1796508059.795254),
      endedAt: iso(1796508062.302174),
      closedBy: 'hangup',
    });
  });

  it('leaves out channels the engine does not know that started after the gap: it sees those over ARI', () => {
    const rows = [...rowsOf('answered'), ...rowsOf('busy')];
    const plan = planBackfill(rows, new Map(), { newChannelsUntilMs: 1796508063_000 });
    expect(plan.linkedIds).toEqual(['1796508058.0']);
    expect(plan.newChannels).toBe(3);
  });

  it('replaces an estimated end (a resync found the channel gone) with the hangup CEL recorded', () => {
    const rows = rowsOf('no-answer');
    const pipeline = new Pipeline({ policy });
    const started = planBackfill(rows.filter((r) => r.eventType === 'CHAN_START'), new Map()).events;
    const gone = started.map((e) => ({ type: 'CallflowChannelGone', timestamp: '2027-01-01T00:00:00.000Z', channel: e.channel }));
    const [estimated] = fold([...started, ...gone], pipeline);
    expect(estimated!.endEstimated).toBe(true);
    const known = new Map<string, KnownLeg>(estimated!.legs.map((l) => [l.channelId, l]));
    const [call] = fold(planBackfill(rows, known).events, pipeline);
    expect({ endedAt: call!.endedAt, endEstimated: call!.endEstimated, closedBy: call!.closedBy, disposition: call!.disposition }).toEqual({
      endedAt: iso(1796508075.089792),
      endEstimated: false,
      closedBy: 'hangup',
      disposition: 'no_answer',
    });
  });
});

describe('CEL lines', () => {
  it('refuses what is not a CEL row, and reads cel_pgsql columns', () => {
    expect(() => parseCelLine('{not json')).toThrow(/not valid JSON/);
    expect(() => parseCelLine('{"eventtype":"ANSWER","eventtime":1}')).toThrow(/uniqueid/);
    expect(() => parseCelLine('{"eventtype":"ANSWER","eventtime":"soon","uniqueid":"1.1","linkedid":"1.1"}')).toThrow(/eventtime/);
    expect(parseCelLine('   ')).toBeNull();
    const pg = parseCelLine(
      JSON.stringify({ eventtype: 'HANGUP', eventtime: '2026-12-05 22:00:58.793538', cid_name: 'Alice', cid_num: '101', uniqueid: '1.2', linkedid: '1.1', extra: '{"hangupcause":17,"dialstatus":"BUSY"}' }),
    );
    expect(pg).toMatchObject({ atMs: Date.parse('2026-12-05T22:00:58.793Z'), callerName: 'Alice', callerNumber: '101', hangupCause: 17, dialStatus: 'BUSY' });
  });
});
