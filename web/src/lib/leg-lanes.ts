// Turns a call's legs and timeline into lanes for the detail view: one lane per leg, each a row of
// segments (ringing, talking, held, bridged) and point marks (DTMF, transfers, hangup). Pure and
// DOM-free so it is tested directly; the view only positions what this returns.
import type { CallDetail, Leg, TimelineEntry } from '../api/types.ts';

export type SegmentKind = 'ringing' | 'talking' | 'held' | 'bridged';
export type MarkKind = 'dtmf' | 'transfer' | 'hangup' | 'recording';

export interface LaneSegment {
  kind: SegmentKind;
  startMs: number;
  endMs: number;
}

export interface LaneMark {
  kind: MarkKind;
  atMs: number;
  label: string;
}

export interface Lane {
  leg: Leg;
  segments: LaneSegment[];
  marks: LaneMark[];
}

export interface AxisTick {
  atMs: number;
  label: string;
}

export interface LegTimelineModel {
  startMs: number;
  endMs: number;
  lanes: Lane[];
  /** Marks of timeline entries that name no leg of this call. */
  callMarks: LaneMark[];
  ticks: AxisTick[];
}

const MIN_SPAN_MS = 1000;
const TICK_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].map((s) => s * 1000);
const TARGET_TICKS = 6;

function parseMs(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** Pairs open/close entries (hold/unhold, bridge entered/left) of one channel into segments. */
function pairedSegments(
  entries: readonly TimelineEntry[],
  openKind: string,
  closeKind: string,
  kind: SegmentKind,
  fallbackEndMs: number,
): LaneSegment[] {
  const segments: LaneSegment[] = [];
  let openedAt: number | null = null;
  for (const entry of entries) {
    const at = parseMs(entry.at);
    if (at === null) continue;
    if (entry.kind === openKind && openedAt === null) openedAt = at;
    else if (entry.kind === closeKind && openedAt !== null) {
      segments.push({ kind, startMs: openedAt, endMs: Math.max(at, openedAt) });
      openedAt = null;
    }
  }
  if (openedAt !== null) segments.push({ kind, startMs: openedAt, endMs: Math.max(fallbackEndMs, openedAt) });
  return segments;
}

function markOf(entry: TimelineEntry): LaneMark | null {
  const at = parseMs(entry.at);
  if (at === null) return null;
  switch (entry.kind) {
    case 'dtmf':
    case 'transfer':
    case 'recording':
      return { kind: entry.kind, atMs: at, label: entry.text };
    default:
      return null;
  }
}

function laneOf(leg: Leg, entries: readonly TimelineEntry[], callEndMs: number): Lane {
  const createdMs = parseMs(leg.createdAt) ?? callEndMs;
  const answeredMs = parseMs(leg.answeredAt);
  const endedMs = parseMs(leg.endedAt);
  const legEndMs = endedMs ?? callEndMs;
  const segments: LaneSegment[] = [];
  const ringEndMs = answeredMs ?? legEndMs;
  if (ringEndMs > createdMs) segments.push({ kind: 'ringing', startMs: createdMs, endMs: ringEndMs });
  if (answeredMs !== null) segments.push({ kind: 'talking', startMs: answeredMs, endMs: Math.max(legEndMs, answeredMs) });
  segments.push(...pairedSegments(entries, 'bridge_entered', 'bridge_left', 'bridged', legEndMs));
  segments.push(...pairedSegments(entries, 'hold', 'unhold', 'held', legEndMs));

  const marks = entries.map(markOf).filter((mark): mark is LaneMark => mark !== null);
  if (endedMs !== null) {
    marks.push({ kind: 'hangup', atMs: endedMs, label: `Hangup: ${leg.causeText ?? 'cause unknown'}` });
  }
  return { leg, segments, marks };
}

function pickStepMs(spanMs: number): number {
  const ideal = spanMs / TARGET_TICKS;
  return TICK_STEPS_MS.find((step) => step >= ideal) ?? TICK_STEPS_MS[TICK_STEPS_MS.length - 1]!;
}

/** `+0:30`, `+2:00`, `+1:05:00`: ticks are offsets from the call's start. */
export function offsetLabel(offsetMs: number): string {
  const totalSeconds = Math.round(offsetMs / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = String(totalSeconds % 60).padStart(2, '0');
  return hours > 0 ? `+${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `+${minutes}:${seconds}`;
}

/** Offsets in a list of events: to the millisecond's hundredth within the first minute, where order matters. */
export function preciseOffsetLabel(offsetMs: number): string {
  if (offsetMs < 60_000) return `+${(Math.max(0, offsetMs) / 1000).toFixed(2)} s`;
  return offsetLabel(offsetMs);
}

/** A leg's label: its endpoint, with `;1`/`;2` kept for the two halves of a Local channel. */
export function legLabel(leg: Pick<Leg, 'endpoint' | 'name'>): string {
  const half = /;(\d)$/.exec(leg.name)?.[1];
  const base = leg.endpoint || leg.name;
  return half && !base.endsWith(`;${half}`) ? `${base} ;${half}` : base;
}

export function buildLegTimeline(detail: CallDetail, nowMs: number): LegTimelineModel {
  const legStarts = detail.legs.map((leg) => parseMs(leg.createdAt)).filter((ms): ms is number => ms !== null);
  const startMs = Math.min(parseMs(detail.startedAt) ?? nowMs, ...legStarts);
  const legEnds = detail.legs.map((leg) => parseMs(leg.endedAt)).filter((ms): ms is number => ms !== null);
  const lastEntryMs = Math.max(startMs, ...detail.timeline.map((entry) => parseMs(entry.at) ?? startMs));
  const openEndMs = detail.status === 'finished' ? lastEntryMs : Math.max(nowMs, lastEntryMs);
  const rawEndMs = Math.max(parseMs(detail.endedAt) ?? openEndMs, lastEntryMs, ...legEnds);
  const endMs = Math.max(rawEndMs, startMs + MIN_SPAN_MS);

  const legIds = new Set(detail.legs.map((leg) => leg.channelId));
  const byChannel = new Map<string, TimelineEntry[]>();
  const callMarks: LaneMark[] = [];
  for (const entry of detail.timeline) {
    if (entry.channelId !== null && legIds.has(entry.channelId)) {
      const list = byChannel.get(entry.channelId) ?? [];
      list.push(entry);
      byChannel.set(entry.channelId, list);
    } else {
      const mark = markOf(entry);
      if (mark) callMarks.push(mark);
    }
  }

  const lanes = [...detail.legs]
    .sort((a, b) => (parseMs(a.createdAt) ?? 0) - (parseMs(b.createdAt) ?? 0))
    .map((leg) => laneOf(leg, byChannel.get(leg.channelId) ?? [], endMs));

  const stepMs = pickStepMs(endMs - startMs);
  const ticks: AxisTick[] = [];
  for (let offset = 0; offset <= endMs - startMs; offset += stepMs) {
    ticks.push({ atMs: startMs + offset, label: offsetLabel(offset) });
  }
  return { startMs, endMs, lanes, callMarks, ticks };
}

export interface PlacedMark extends LaneMark {
  /** 0 on the track; 1 and up raised above it, so that marks at (nearly) one instant do not cover each other. */
  tier: number;
}

/** Tiers above the track at most; past them marks share the tier whose last mark is furthest behind. */
export const MAX_MARK_TIERS = 3;

/**
 * Places a lane's marks in time order, each on the lowest tier where it clears the mark placed before it
 * by `minGapPct` of the axis (a mark's width, as the view measures it). A transfer a few milliseconds
 * before its leg's hangup was drawn under the hangup mark, and could not be seen at all.
 */
export function placeMarks(
  marks: readonly LaneMark[],
  model: Pick<LegTimelineModel, 'startMs' | 'endMs'>,
  minGapPct: number,
): PlacedMark[] {
  const lastOnTier: number[] = [];
  const ordered = marks.map((mark, index) => ({ mark, index })).sort((a, b) => a.mark.atMs - b.mark.atMs || a.index - b.index);
  return ordered.map(({ mark }) => {
    const at = percentAlong(model, mark.atMs);
    let tier = lastOnTier.findIndex((last) => at - last >= minGapPct);
    if (tier === -1 && lastOnTier.length <= MAX_MARK_TIERS) tier = lastOnTier.length;
    if (tier === -1) tier = lastOnTier.indexOf(Math.min(...lastOnTier));
    lastOnTier[tier] = at;
    return { ...mark, tier };
  });
}

/** Position of an instant along the axis, 0..100. */
export function percentAlong(model: Pick<LegTimelineModel, 'startMs' | 'endMs'>, atMs: number): number {
  const ratio = (atMs - model.startMs) / (model.endMs - model.startMs);
  return Math.min(100, Math.max(0, ratio * 100));
}
