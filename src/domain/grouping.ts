import { emptyCall, mergeCalls, splitChannel, type CallState, type FiledEvents } from './call-state.ts';
import { compareUniqueids, endpointOf, localPairKey } from './channel-name.ts';
import type { CallEvent, ChannelSnapshot } from './events.ts';
import { callIdOf } from './record.ts';
import { changesLinkedIds } from './bridge-linkedid.ts';
import { defaultTenantOnly, type TenantOf } from './tenant.ts';
import { TextPool } from './text-pool.ts';
import { applyEvent } from './transition.ts';

// Groups channel legs into calls for one Asterisk server: a call is the set of channels that share Asterisk's
// linkedid, each counted in the linkedid it ends with. Authoritative when the channels carry CHANNEL(linkedid)
// (a channel whose value changes moves to that call); otherwise from what the events show: the two halves of a
// Local channel, a Dial's caller and peer, originators the engine itself named, and the channels Asterisk
// requests for a transfer share a linkedid from the start, and a channel entering a bridge that updates
// linkedids takes the oldest linkedid in it (see enterBridge).
// Deterministic and free of I/O; the holder of a CallHandle treats `state` as read-only.

/** A channel that left a call that keeps other legs: the store moves the channel's events along. */
export interface ChannelMove {
  channelId: string;
  from: CallHandle;
  into: CallHandle;
}

export interface CallHandle {
  state: CallState;
  /** Set when this call turned out to be part of another one. */
  mergedInto: CallHandle | null;
  /**
   * Channel ids mapped to this call (legs plus channels seen only as references), each once. A call has
   * a handful, so an exactly sized array replaced on change (concat; a spread or push leaves room for a
   * dozen more) is far smaller than a Set.
   */
  channels: readonly string[];
}

/** What of a founding channel its tenant is decided by (a snapshot, or the leg it made). */
type FounderFacts = Pick<ChannelSnapshot, 'name' | 'context' | 'exten'>;

/** Follows merges to the call that holds a handle's legs now. */
export function resolve(handle: CallHandle): CallHandle {
  let h = handle;
  while (h.mergedInto) h = h.mergedInto;
  return h;
}

/** The channel the store files an event with (see the pipeline): the one its call is looked up by. */
function filingChannelOf(event: CallEvent): string | undefined {
  switch (event.kind) {
    case 'recording':
    case 'routing_step':
      return event.channelId;
    case 'other':
      return event.channelIds[0];
    case 'dial':
      return event.peer.id;
    case 'transfer':
      return event.channels[0]?.id;
    default:
      return event.channel.id;
  }
}

export class CallRegistry {
  private readonly byChannel = new Map<string, CallHandle>();
  private readonly byLinkedId = new Map<string, CallHandle>();
  /** Local channel pair name → a channel id of that pair (its call is looked up through byChannel). */
  private readonly byLocalPair = new Map<string, string>();
  private readonly bridgeMembers = new Map<string, Set<string>>();
  private readonly channelBridge = new Map<string, string>();
  /** Originators learned from the engine's own ARI requests (channel → originator channel). */
  private readonly originators = new Map<string, string>();
  /** The linkedid each channel last carried in channelvars (absent when ari.conf does not echo it). */
  private readonly channelLinked = new Map<string, string>();
  /** Each half of a Local channel pair seen together → the other half. */
  private readonly localTwins = new Map<string, string>();
  /** Events filed under each channel, for a call that loses the channel to count what it keeps. */
  private readonly filed = new Map<string, FiledEvents>();
  private moves: ChannelMove[] = [];
  private readonly texts = new TextPool();

  /** `tenantOf` gives each call founded here its tenant, once (tenant.ts). */
  constructor(
    private readonly server: string,
    private readonly tenantOf: TenantOf = defaultTenantOnly,
  ) {}

  get size(): number {
    return this.byChannel.size;
  }

  callOfChannel(channelId: string): CallHandle | undefined {
    return this.byChannel.get(channelId);
  }

  /** Tells the registry that `channelId` was created by ARI with `originator` (same call). */
  noteOriginator(channelId: string, originatorId: string): void {
    this.originators.set(channelId, originatorId);
  }

  /**
   * Files one event under its call and folds it into the call's state. Returns the call, or null for an
   * event that concerns no known channel. Other calls the event changed are pushed onto `absorbed`: calls
   * merged into another (`mergedInto` set), and calls a channel moved out of (they keep their other legs).
   * Runs once per event: it builds no arrays or result objects of its own.
   */
  process(event: CallEvent, order: number, absorbed: CallHandle[] = []): CallHandle | null {
    let call: CallHandle | null;
    switch (event.kind) {
      case 'recording':
      case 'routing_step':
        call = this.byChannel.get(event.channelId) ?? null;
        break;
      case 'other':
        call = this.firstKnown(event.channelIds);
        break;
      case 'dial': {
        // The caller first: it is usually known, and the peer joins its call.
        const caller = event.caller ? this.attach(event.caller, event.at, absorbed) : null;
        const peer = this.attach(event.peer, event.at, absorbed);
        call = caller ? this.join(caller, peer, absorbed) : peer;
        break;
      }
      case 'transfer':
        // A transfer names channels of possibly different calls; it is filed under the first one only.
        call = this.attach(event.channels[0]!, event.at, absorbed);
        if (event.replacingId !== null) call = this.joinReplacement(call, event.replacingId, absorbed);
        break;
      case 'variable':
        call = this.attach(event.channel, event.at, absorbed);
        // Set by Asterisk on the channel it requests, with the transferer as requestor, for a DTMF attended
        // transfer (bridge_basic.c, dial_transfer): the new channel shares the transferer's linkedid.
        if (event.name === 'TRANSFERERNAME' && event.value !== '') {
          const transferer = this.openChannelNamed(event.value);
          if (transferer) call = this.join(transferer, call, absorbed);
        }
        break;
      case 'bridge_entered':
        call = this.enterBridge(this.attach(event.channel, event.at, absorbed), event, absorbed);
        break;
      case 'bridge_left':
      case 'channel_destroyed':
        call = this.attach(event.channel, event.at, absorbed);
        this.leaveBridge(event.channel.id);
        break;
      default:
        call = this.attach(event.channel, event.at, absorbed);
    }
    if (call === null) return null;
    call.state = applyEvent(call.state, event, order, this.texts);
    this.noteFiled(filingChannelOf(event), event.at);
    return call;
  }

  /** Channels moved out of calls that kept legs since the last call, in order. */
  takeMoves(): ChannelMove[] {
    const moves = this.moves;
    if (moves.length > 0) this.moves = [];
    return moves;
  }

  private noteFiled(channelId: string | undefined, at: string): void {
    if (channelId === undefined) return;
    const f = this.filed.get(channelId);
    if (f === undefined) this.filed.set(channelId, { count: 1, lastAt: at });
    else {
      f.count++;
      if (at > f.lastAt) f.lastAt = at;
    }
  }

  /** The call holding an open channel of that name (rare: a full scan). */
  private openChannelNamed(name: string): CallHandle | undefined {
    for (const h of new Set(this.byChannel.values())) {
      if (h.state.legs.some((l) => l.name === name && l.end === null)) return h;
    }
    return undefined;
  }

  private firstKnown(channelIds: readonly string[]): CallHandle | null {
    for (const id of channelIds) {
      const h = this.byChannel.get(id);
      if (h !== undefined) return h;
    }
    return null;
  }

  /** Forgets a finished call's channels (after the caller's grace period for late events). */
  release(handle: CallHandle): void {
    for (const id of handle.channels) {
      if (this.byChannel.get(id) === handle) this.byChannel.delete(id);
      this.leaveBridge(id);
      this.originators.delete(id);
      this.channelLinked.delete(id);
      this.localTwins.delete(id);
      this.filed.delete(id);
    }
    for (const leg of handle.state.legs) {
      const pair = localPairKey(leg.name);
      if (pair && this.byLocalPair.get(pair) === leg.channelId) this.byLocalPair.delete(pair);
    }
    const linked = handle.state.linkedId;
    if (linked && this.byLinkedId.get(linked) === handle) this.byLinkedId.delete(linked);
  }

  /**
   * A call brought back from the store keeps the tenant it was stored with: it was founded before, perhaps
   * under other rules, and restoring it (a restart, a resync, a backfill) founds nothing.
   */
  keepTenant(handle: CallHandle, tenantId: string): void {
    if (handle.state.tenantId !== tenantId) handle.state = { ...handle.state, tenantId };
  }

  /** Every call currently held. */
  calls(): Set<CallHandle> {
    return new Set(this.byChannel.values());
  }

  private attach(snap: ChannelSnapshot, at: string, absorbed: CallHandle[]): CallHandle {
    const known = this.byChannel.get(snap.id);
    if (known) {
      if (snap.linkedId === null || this.channelLinked.get(snap.id) === snap.linkedId) return known;
      return this.followLinkedId(snap, snap.linkedId, known, at, absorbed);
    }
    if (snap.linkedId) this.channelLinked.set(snap.id, snap.linkedId);
    const pair = localPairKey(snap.name);
    const originator = this.originators.get(snap.id);
    const twin = pair ? this.openTwin(pair) : undefined;
    let call = snap.linkedId ? this.byLinkedId.get(snap.linkedId) : undefined;
    // A Local twin or an originator shares the linkedid at creation, unless the channel says otherwise.
    const related = (twin ? this.byChannel.get(twin) : undefined) ?? (originator ? this.byChannel.get(originator) : undefined);
    if (!call && related && (snap.linkedId === null || related.state.linkedId === null || related.state.linkedId === snap.linkedId)) call = related;
    // Only a channel the registry did not know gets here, so it is not in the call yet.
    if (!call) call = { state: emptyCall(this.server, at, this.tenantOfFounder(snap)), mergedInto: null, channels: [snap.id] };
    else call.channels = call.channels.concat(snap.id);
    this.byChannel.set(snap.id, call);
    if (pair && !twin) this.byLocalPair.set(pair, snap.id);
    if (twin) {
      this.localTwins.set(snap.id, twin);
      this.localTwins.set(twin, snap.id);
    }
    if (snap.linkedId && !this.byLinkedId.has(snap.linkedId)) this.byLinkedId.set(snap.linkedId, call);
    return call;
  }

  /**
   * The founding channel as the engine first saw it: what a rebuild sees first too, as the store moves a
   * channel's events, its earliest included, with the channel.
   */
  private foundingLeg(call: CallHandle, snap: ChannelSnapshot): FounderFacts {
    return call.state.legs.find((l) => l.channelId === snap.id) ?? snap;
  }

  private tenantOfFounder(founder: FounderFacts): string {
    return this.tenantOf({ server: this.server, context: founder.context, exten: founder.exten, endpoint: endpointOf(founder.name) });
  }

  /**
   * The other half of a Local channel pair, if that half is still open. Both halves are created together,
   * so a same-named channel whose twin has ended is a new pair (Asterisk restarted, or another source).
   */
  private openTwin(pair: string): string | undefined {
    const twin = this.byLocalPair.get(pair);
    if (twin === undefined) return undefined;
    const leg = this.byChannel.get(twin)?.state.legs.find((l) => l.channelId === twin);
    if (leg && leg.end === null) return twin;
    this.byLocalPair.delete(pair);
    return undefined;
  }

  /**
   * A known channel carries a linkedid it did not carry before: Asterisk moved it (a bridge it joined held an
   * older call's channel), so it moves to the call of that linkedid.
   */
  private followLinkedId(snap: ChannelSnapshot, linkedId: string, current: CallHandle, at: string, absorbed: CallHandle[]): CallHandle {
    const channelId = snap.id;
    this.channelLinked.set(channelId, linkedId);
    const holder = this.byLinkedId.get(linkedId);
    if (current.state.linkedId === null && (holder === undefined || holder === current)) {
      this.byLinkedId.set(linkedId, current);
      return current;
    }
    if (current.state.linkedId === linkedId) return current;
    return this.moveChannel(channelId, holder ?? this.callOfLinkedId(linkedId, at, this.foundingLeg(current, snap)), absorbed);
  }

  /** A call for a linkedid no channel of which was seen: the channel moving into it founds it. */
  private callOfLinkedId(linkedId: string, at: string, founder: FounderFacts): CallHandle {
    const call: CallHandle = { state: { ...emptyCall(this.server, at, this.tenantOfFounder(founder)), linkedId }, mergedInto: null, channels: [] };
    this.byLinkedId.set(linkedId, call);
    return call;
  }

  /**
   * A blind transfer's stand-in channel (a Local channel Asterisk requested with the transferer as requestor)
   * and its other half have the transferer's linkedid from their creation, which no event showed before.
   */
  private joinReplacement(transferer: CallHandle, replacingId: string, absorbed: CallHandle[]): CallHandle {
    const twin = this.localTwins.get(replacingId);
    for (const id of twin === undefined ? [replacingId] : [replacingId, twin]) {
      if (this.byChannel.has(id) && !this.channelLinked.has(id)) this.moveChannel(id, transferer, absorbed);
    }
    return transferer;
  }

  /** The linkedid a channel has now: the one it carried last, else its call's (known, or its oldest channel's). */
  private linkedIdOf(channelId: string, call: CallHandle): string {
    return this.channelLinked.get(channelId) ?? callIdOf(call.state);
  }

  /**
   * Moves one channel to another call. A call left with no leg of its own was part of the target all along
   * and is merged into it (announced as a merge, never as a call of its own); a call that keeps legs stays,
   * and the channel's events go with it (a ChannelMove), so each call can be rebuilt from its own events.
   * Its id is then its oldest remaining channel, unless its linkedid is known.
   */
  private moveChannel(channelId: string, target: CallHandle, absorbed: CallHandle[]): CallHandle {
    const source = this.byChannel.get(channelId);
    if (source === undefined || source === target) return target;
    const keepsLegs = source.state.legs.some((l) => l.channelId !== channelId);
    if (!keepsLegs) {
      const merged = mergeCalls(target.state, source.state);
      target.state = merged.linkedId === target.state.linkedId ? merged : { ...merged, linkedId: target.state.linkedId };
      for (const id of source.channels) this.byChannel.set(id, target);
      target.channels = target.channels.concat(source.channels);
      const gone = source.state.linkedId;
      if (gone && this.byLinkedId.get(gone) === source) this.byLinkedId.delete(gone);
      source.mergedInto = target;
      source.channels = [];
      absorbed.push(source);
      return target;
    }
    source.channels = source.channels.filter((id) => id !== channelId);
    let restLastAt = source.state.firstEventAt;
    for (const id of source.channels) {
      const at = this.filed.get(id)?.lastAt;
      if (at !== undefined && at > restLastAt) restLastAt = at;
    }
    const { rest, moved } = splitChannel(source.state, channelId, this.filed.get(channelId), restLastAt);
    source.state = rest;
    this.moves.push({ channelId, from: source, into: target });
    const merged = mergeCalls(target.state, moved);
    target.state = merged.linkedId === target.state.linkedId ? merged : { ...merged, linkedId: target.state.linkedId };
    target.channels = target.channels.concat(channelId);
    this.byChannel.set(channelId, target);
    absorbed.push(source);
    return target;
  }

  /**
   * Asterisk's rule (bridge_channel_update_linkedids, run when a channel is pushed into a bridge that mixes):
   * the joining channel and every channel already in the bridge take the oldest linkedid among them; their
   * other channels (a Local channel's other half, the rest of their calls) keep theirs. Oldest is by the
   * linkedid's creation, which uniqueid order gives. Channels that carry their linkedid follow it on their own
   * events instead (the joining one already carries the new value in ChannelEnteredBridge).
   */
  private enterBridge(call: CallHandle, event: CallEvent & { kind: 'bridge_entered' }, absorbed: CallHandle[]): CallHandle {
    const { bridgeId, channel } = event;
    const channelId = channel.id;
    let members = this.bridgeMembers.get(bridgeId);
    if (!members) {
      members = new Set();
      this.bridgeMembers.set(bridgeId, members);
    }
    this.leaveBridge(channelId);
    members.add(channelId);
    this.channelBridge.set(channelId, bridgeId);
    if (!changesLinkedIds(event.bridgeClass, event.bridgeType)) return call;
    let oldest: string | null = null;
    let oldestCall: CallHandle | null = null;
    for (const member of members) {
      const h = this.byChannel.get(member);
      if (h === undefined) continue;
      const linked = this.linkedIdOf(member, h);
      if (oldest === null || compareUniqueids(linked, oldest) < 0) {
        oldest = linked;
        oldestCall = h;
      }
    }
    if (oldest === null || oldestCall === null) return call;
    const target = this.byLinkedId.get(oldest) ?? oldestCall;
    for (const member of [...members]) {
      const h = this.byChannel.get(member);
      if (h !== undefined && h !== target && !this.channelLinked.has(member)) this.moveChannel(member, target, absorbed);
    }
    return this.byChannel.get(channelId) ?? call;
  }

  private leaveBridge(channelId: string): void {
    const bridgeId = this.channelBridge.get(channelId);
    if (bridgeId === undefined) return;
    this.channelBridge.delete(channelId);
    const members = this.bridgeMembers.get(bridgeId);
    if (!members) return;
    members.delete(channelId);
    if (members.size === 0) this.bridgeMembers.delete(bridgeId);
  }

  /** Joins two calls unless Asterisk said they are different (both carry distinct linkedids). */
  private join(a: CallHandle, b: CallHandle, absorbed: CallHandle[]): CallHandle {
    if (a === b) return a;
    const la = a.state.linkedId;
    const lb = b.state.linkedId;
    if (la && lb && la !== lb) return a;
    const [keep, gone] = a.channels.length >= b.channels.length ? [a, b] : [b, a];
    keep.state = mergeCalls(keep.state, gone.state);
    // A channel belongs to one call at a time, so the two lists are disjoint.
    for (const id of gone.channels) this.byChannel.set(id, keep);
    keep.channels = keep.channels.concat(gone.channels);
    if (lb && this.byLinkedId.get(lb) === gone) this.byLinkedId.set(lb, keep);
    if (la && this.byLinkedId.get(la) === gone) this.byLinkedId.set(la, keep);
    gone.mergedInto = keep;
    gone.channels = [];
    absorbed.push(gone);
    return keep;
  }
}
