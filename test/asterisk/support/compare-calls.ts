import type { CallRecord, Disposition } from '../../../src/domain/call.ts';
import { celPartition, type CdrRow, type CelEvent } from './asterisk-records.ts';

// Compares the engine's calls with Asterisk's CEL and CDR for one scenario. Every difference becomes one line
// naming the call, the field, the engine's value and Asterisk's, so a failing test says exactly what is wrong.

/** Times may differ by this much: the engine reads ARI timestamps (ms), CEL writes its own clock (µs). */
export const TIME_TOLERANCE_MS = 1_000;

/** The CDR disposition each engine disposition stands for (a caller who gave up is NO ANSWER in CDR). */
const CDR_DISPOSITION: Record<Disposition, string> = {
  answered: 'ANSWERED',
  no_answer: 'NO ANSWER',
  cancelled: 'NO ANSWER',
  busy: 'BUSY',
  congestion: 'CONGESTION',
  failed: 'FAILED',
};

export interface CompareInput {
  cel: readonly CelEvent[];
  cdr: readonly CdrRow[];
  /** Engine call id of each channel it stored. */
  callIdOfChannel: ReadonlyMap<string, string>;
  calls: ReadonlyMap<string, CallRecord>;
  /** The number the scenario dialled, per call (by its first channel's CEL record). */
  expectedTo: (first: CelEvent) => string;
  /** Whether the engine sees linkedids (channelvars = CHANNEL(linkedid)); without them it names some calls otherwise. */
  linkedidVisible?: boolean;
}

/**
 * The id the engine gives a call without channelvars when the channel that began its linkedid was moved to
 * another call (a Local channel's bridged half): nothing in the remaining channels' events names that linkedid,
 * so the call is known by its oldest remaining channel. Null where the engine must use the linkedid.
 */
function idWithoutLinkedid(input: CompareInput, linkedid: string, channels: Set<string>, celCallOf: Map<string, string>): string | null {
  if (input.linkedidVisible !== false) return null;
  const founder = celCallOf.get(linkedid);
  if (founder === undefined || founder === linkedid || channels.has(linkedid)) return null;
  const starts = input.cel.filter((e) => e.eventtype === 'CHAN_START' && channels.has(e.uniqueid));
  return starts[0]?.uniqueid ?? null;
}

/** The CDR's verdict on one call: ANSWERED when any of its rows was answered, else its first channel's row. */
export function cdrDisposition(rows: readonly CdrRow[], linkedid: string): string | null {
  if (rows.some((r) => r.disposition === 'ANSWERED')) return 'ANSWERED';
  const own = rows.filter((r) => r.uniqueid === linkedid).sort((a, b) => a.sequence - b.sequence);
  return (own[0] ?? rows[0])?.disposition ?? null;
}

function iso(seconds: number | undefined): string {
  return seconds === undefined ? '(none)' : new Date(Math.round(seconds * 1000)).toISOString();
}

function timeOff(engine: string | null, asteriskSeconds: number | undefined): boolean {
  if (engine === null || asteriskSeconds === undefined) return engine !== null || asteriskSeconds !== undefined;
  return Math.abs(Date.parse(engine) - asteriskSeconds * 1000) > TIME_TOLERANCE_MS;
}

function extremeTime(cel: readonly CelEvent[], type: string, channels: Set<string>, pick: 'min' | 'max'): number | undefined {
  const times = cel.filter((e) => e.eventtype === type && channels.has(e.uniqueid)).map((e) => e.eventtime);
  if (times.length === 0) return undefined;
  return pick === 'min' ? Math.min(...times) : Math.max(...times);
}

export function compareCalls(input: CompareInput): string[] {
  const { cel, cdr, callIdOfChannel, calls } = input;
  const problems: string[] = [];
  const nameOf = new Map(cel.map((e) => [e.uniqueid, e.channame]));
  const partition = celPartition(cel);
  const celCallOf = new Map<string, string>();
  for (const [linkedid, channels] of partition) for (const c of channels) celCallOf.set(c, linkedid);

  for (const [linkedid, channels] of partition) {
    const label = `call ${linkedid} (${[...channels].map((c) => nameOf.get(c)).join(', ')})`;
    const missing = [...channels].filter((c) => !callIdOfChannel.has(c));
    for (const c of missing) problems.push(`${label}: channel ${c} ${nameOf.get(c)}: engine has no call for it`);
    const engineIds = [...new Set([...channels].map((c) => callIdOfChannel.get(c)).filter((id): id is string => id !== undefined))];
    if (engineIds.length > 1) {
      const split = engineIds.map((id) => `${id}: [${[...channels].filter((c) => callIdOfChannel.get(c) === id).map((c) => nameOf.get(c)).join(', ')}]`);
      problems.push(`${label}: grouping: engine splits it into ${engineIds.length} calls {${split.join('; ')}}, CEL has one linkedid ${linkedid}`);
      continue;
    }
    const engineId = engineIds[0];
    if (engineId === undefined) continue;
    const call = calls.get(engineId);
    if (!call) {
      problems.push(`${label}: engine call ${engineId} could not be read`);
      continue;
    }
    const extra = call.legs.filter((l) => !channels.has(l.channelId));
    if (extra.length > 0) {
      const where = extra.map((l) => `${l.name} (CEL linkedid ${celCallOf.get(l.channelId) ?? 'none'})`);
      problems.push(`${label}: grouping: engine call ${engineId} also holds ${where.join(', ')}`);
    }
    if (call.id !== linkedid && call.id !== idWithoutLinkedid(input, linkedid, channels, celCallOf)) {
      problems.push(`${label}: id: engine=${call.id} asterisk linkedid=${linkedid}`);
    }
    if (call.status !== 'finished') problems.push(`${label}: status: engine=${call.status} asterisk=all channels ended`);

    const rows = cdr.filter((r) => r.linkedid === linkedid);
    const cdrVerdict = cdrDisposition(rows, linkedid);
    const engineVerdict = call.disposition === null ? null : CDR_DISPOSITION[call.disposition];
    if (engineVerdict !== cdrVerdict) problems.push(`${label}: disposition: engine=${call.disposition} (CDR ${engineVerdict}) asterisk CDR=${cdrVerdict}`);
    const answeredRows = rows.filter((r) => r.disposition === 'ANSWERED' && r.answer > 0);
    const cdrAnswer = answeredRows.length > 0 ? Math.min(...answeredRows.map((r) => r.answer)) : undefined;
    if ((call.answeredAt !== null) !== (cdrAnswer !== undefined)) {
      problems.push(`${label}: answered: engine=${call.answeredAt !== null} asterisk CDR=${cdrAnswer !== undefined}`);
    } else if (timeOff(call.answeredAt, cdrAnswer)) {
      problems.push(`${label}: answeredAt: engine=${call.answeredAt} asterisk CDR=${iso(cdrAnswer)}`);
    }

    const start = extremeTime(cel, 'CHAN_START', channels, 'min');
    if (timeOff(call.startedAt, start)) problems.push(`${label}: startedAt: engine=${call.startedAt} asterisk CEL=${iso(start)}`);
    const end = extremeTime(cel, 'CHAN_END', channels, 'max');
    if (timeOff(call.endedAt, end)) problems.push(`${label}: endedAt: engine=${call.endedAt} asterisk CEL=${iso(end)}`);

    const first = cel.find((e) => e.eventtype === 'CHAN_START' && e.uniqueid === linkedid);
    if (!first) {
      problems.push(`${label}: CEL has no CHAN_START of its linkedid channel`);
      continue;
    }
    // The first caller number CEL shows on the call's first channel: an originate sets it after CHAN_START, and
    // a Local ;1 half that was transferred away shows none again at its HANGUP.
    const caller = cel.find((e) => e.uniqueid === linkedid && e.num !== '')?.num ?? '';
    if (call.from !== caller) problems.push(`${label}: from: engine=${JSON.stringify(call.from)} asterisk CEL caller=${JSON.stringify(caller)}`);
    const to = input.expectedTo(first);
    if (call.to !== to) problems.push(`${label}: to: engine=${JSON.stringify(call.to)} dialled=${JSON.stringify(to)}`);
  }
  return problems;
}
