import { BACKFILL_MARK } from '../ari/normalize.ts';
import { localPairKey } from '../domain/channel-name.ts';
import { isFinalDialStatus } from '../domain/transition.ts';
import { isUsedCelType, type CelRecord, type CelUsedType } from './cel-record.ts';

// CEL rows of a window the engine could not see → the channel events it would have received, as ARI-shaped
// JSON marked `callflow_source: "cel"` (BACKFILL_MARK). Pure: the rows and what the engine already holds of
// their channels, nothing else.
// The events go through the same pipeline and store as ARI's own, so a rebuild from stored events gives the
// same calls, and a call's outbox deliveries are planned once, by the normal path.
//
// CEL row → event: CHAN_START → ChannelCreated; ANSWER → ChannelStateChange (Up); BRIDGE_ENTER / BRIDGE_EXIT →
// ChannelEnteredBridge / ChannelLeftBridge; BLINDTRANSFER → BridgeBlindTransfer; HANGUP → ChannelDestroyed with its hangupcause, preceded by a Dial
// (caller: this channel, peer: the channel it dialled) when the row carries a final dialstatus. Each channel
// carries its CEL linkedid as `channelvars["CHANNEL(linkedid)"]`, which groups it with its call.

/** The BACKFILL_MARK of events made from CEL (stored with them; normalize.ts turns it into `backfill` on the event). */
export const CEL_SOURCE = 'cel';

/** What the engine already holds of a channel (a Leg of a stored or open call). */
export interface KnownLeg {
  name: string;
  state: string;
  callerNumber: string;
  callerName: string;
  connectedNumber: string;
  answeredAt: string | null;
  endedAt: string | null;
  /** Null with an `endedAt`: the end was the engine's estimate (a resync, the stale-call sweep). */
  cause: number | null;
}

export interface BackfillPlan {
  events: Record<string, unknown>[];
  /** Channels the engine had never seen, now created from CEL. */
  newChannels: number;
  /** Channels the engine knew, whose answer or end CEL supplied. */
  correctedChannels: number;
  /** Linked ids (CEL's call ids) the events belong to. */
  linkedIds: string[];
}

type Json = Record<string, unknown>;

interface ChannelView {
  id: string;
  name: string;
  state: string;
  callerNumber: string;
  callerName: string;
  connectedNumber: string;
  context: string;
  exten: string;
  createdAtMs: number;
  linkedId: string;
  known: KnownLeg | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function snapshotOf(c: ChannelView): Json {
  return {
    id: c.id,
    name: c.name,
    state: c.state,
    caller: { name: c.callerName, number: c.callerNumber },
    connected: { name: '', number: c.connectedNumber },
    dialplan: { context: c.context, exten: c.exten, priority: 1 },
    creationtime: iso(c.createdAtMs),
    channelvars: { 'CHANNEL(linkedid)': c.linkedId },
  };
}

function viewOf(first: CelRecord, known: KnownLeg | undefined): ChannelView {
  return {
    id: first.uniqueId,
    name: known?.name || first.channelName,
    state: known?.state || (first.eventType === 'ANSWER' ? 'Up' : 'Down'),
    callerNumber: known ? known.callerNumber : first.callerNumber,
    callerName: known ? known.callerName : first.callerName,
    connectedNumber: known?.connectedNumber ?? '',
    context: first.context,
    exten: first.exten,
    createdAtMs: first.atMs,
    linkedId: first.linkedId,
    known,
  };
}

/** A known leg with a cause has a real end: the engine saw it (or an earlier backfill supplied it). */
const endedForReal = (k: KnownLeg | undefined): boolean => k !== undefined && k.endedAt !== null && k.cause !== null;

/**
 * The channel `caller` dialled: the first channel of its call created at or after it that is neither the
 * caller nor its own Local twin. CEL names no Dial peer; Dial() creates its outgoing channels right after.
 */
function peerOf(caller: ChannelView, channels: readonly ChannelView[]): ChannelView | null {
  const pair = localPairKey(caller.name);
  for (const c of channels) {
    if (c.linkedId !== caller.linkedId || c.id === caller.id || c.createdAtMs < caller.createdAtMs) continue;
    if (pair !== null && localPairKey(c.name) === pair) continue;
    return c;
  }
  return null;
}

export interface PlanOptions {
  /**
   * Channels the engine does not know that started after this (epoch ms; the end of the gap) are left out:
   * the engine was connected by then and sees them over ARI, their events may only be on their way.
   */
  newChannelsUntilMs?: number;
}

/**
 * The events that bring the engine's calls up to what CEL recorded. `known` holds the engine's legs of the
 * rows' channels; a channel whose end the engine saw is left alone, so planning the same rows again after
 * they were ingested gives no event for ended channels (a gap backfilled twice doubles nothing).
 */
export function planBackfill(rows: readonly CelRecord[], known: ReadonlyMap<string, KnownLeg>, options: PlanOptions = {}): BackfillPlan {
  const untilMs = options.newChannelsUntilMs ?? Number.POSITIVE_INFINITY;
  const ordered = rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.atMs - b.r.atMs || a.i - b.i).map((x) => x.r);
  const views = new Map<string, ChannelView>();
  const answeredAtMs = new Map<string, number>();
  for (const r of ordered) {
    if (r.eventType === 'ANSWER' && !answeredAtMs.has(r.uniqueId)) answeredAtMs.set(r.uniqueId, r.atMs);
    const existing = views.get(r.uniqueId);
    if (!existing) views.set(r.uniqueId, viewOf(r, known.get(r.uniqueId)));
    else if (r.eventType === 'CHAN_START') Object.assign(existing, { context: r.context, exten: r.exten, createdAtMs: r.atMs, name: existing.known?.name || r.channelName });
  }
  const channels = [...views.values()].sort((a, b) => a.createdAtMs - b.createdAtMs);
  const events: Json[] = [];
  const created = new Set<string>();
  const corrected = new Set<string>();
  const linkedIds = new Set<string>();
  const emit = (c: ChannelView, r: CelRecord, type: string, extra: Json = {}): void => {
    events.push({ type, timestamp: iso(r.atMs), [BACKFILL_MARK]: CEL_SOURCE, cel_event: r.eventType, ...extra, channel: snapshotOf(c) });
    (c.known ? corrected : created).add(c.id);
    linkedIds.add(c.linkedId);
  };
  for (const r of ordered) {
    const type = r.eventType;
    const c = views.get(r.uniqueId)!;
    // CHAN_END, LINKEDID_END, APP_START, ... add nothing HANGUP and the others do not tell.
    if (!isUsedCelType(type) || endedForReal(c.known) || (!c.known && c.createdAtMs > untilMs)) continue;
    if (!c.known) {
      // Caller ids can be set after the channel starts (an originate's callerId): each row has the current ones.
      if (r.callerNumber !== '') c.callerNumber = r.callerNumber;
      if (r.callerName !== '') c.callerName = r.callerName;
    }
    // A channel the engine never saw starts here (at its CHAN_START, or at its first row of the window).
    if (!c.known && !created.has(c.id)) emit(c, r, 'ChannelCreated');
    applyRow(type, c, r);
  }
  return { events, newChannels: created.size, correctedChannels: corrected.size, linkedIds: [...linkedIds] };

  function applyRow(type: CelUsedType, c: ChannelView, r: CelRecord): void {
    switch (type) {
      case 'CHAN_START':
        break;
      case 'ANSWER':
        if (c.known ? c.known.answeredAt !== null : c.state === 'Up') break;
        c.state = 'Up';
        emit(c, r, 'ChannelStateChange');
        break;
      case 'BRIDGE_ENTER':
      case 'BRIDGE_EXIT':
        if (c.known || r.bridgeId === '') break;
        emit(c, r, type === 'BRIDGE_ENTER' ? 'ChannelEnteredBridge' : 'ChannelLeftBridge', { bridge: { id: r.bridgeId, bridge_type: 'mixing' } });
        break;
      case 'BLINDTRANSFER': {
        // The transferer's blind transfer of its bridge partner, shown on the call's timeline.
        const transferee = views.get(r.transfereeId);
        if (c.known) break;
        emit(c, r, 'BridgeBlindTransfer', {
          exten: r.transferExten,
          context: r.transferContext,
          result: 'Success',
          ...(transferee ? { transferee: snapshotOf(transferee) } : {}),
          ...(r.bridgeId ? { bridge: { id: r.bridgeId } } : {}),
        });
        break;
      }
      case 'HANGUP': {
        if (isFinalDialStatus(r.dialStatus)) {
          const peer = peerOf(c, channels);
          if (peer) {
            // As over ARI, an answered Dial is dated when its peer answered (CEL states the result only at hangup).
            const atMs = r.dialStatus === 'ANSWER' ? (answeredAtMs.get(peer.id) ?? r.atMs) : r.atMs;
            events.push({ type: 'Dial', timestamp: iso(atMs), [BACKFILL_MARK]: CEL_SOURCE, cel_event: r.eventType, dialstatus: r.dialStatus, dialstring: '', forward: '', caller: snapshotOf(c), peer: snapshotOf(peer) });
          }
        }
        emit(c, r, 'ChannelDestroyed', { cause: r.hangupCause ?? 0, cause_txt: '' });
        break;
      }
      default: {
        const unhandled: never = type;
        throw new Error(`unhandled CEL type ${String(unhandled)}`);
      }
    }
  }
}
