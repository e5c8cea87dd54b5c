import type { AriBridge, AriChannel } from '../ari/types.ts';
import { RESYNC_FOUND, RESYNC_GONE } from '../ari/normalize.ts';
import { compareUniqueids } from '../domain/channel-name.ts';
import type { CallRecord } from '../domain/call.ts';
import type { CallRegistry } from '../domain/grouping.ts';
import { foundUpAt, goneCallEnd } from '../domain/resync-times.ts';
import type { SweepReason } from '../domain/staleness.ts';
import type { Store, StoredEvent } from '../store/types.ts';

// After every (re)connect Asterisk tells only what is alive now. Reconciling against it gives two
// kinds of engine-made events, stored like ARI's own so that a rebuild from events still holds:
// CallflowChannelGone for an open leg whose channel no longer exists, and CallflowChannelFound for a
// live channel the engine does not know (with its bridge, which groups it with its partners) or for a
// known one it last saw unanswered that is up now. What the engine cannot know (when the call ended,
// when the channel was answered) is decided here once and written as the events' times, so a rebuild
// from the stored events gives the same estimates (src/domain/resync-times.ts).

/** Channel ids of the legs that are open now: take this BEFORE listing what is alive. */
export function openChannelIds(registry: CallRegistry): Set<string> {
  const ids = new Set<string>();
  for (const call of registry.calls()) {
    for (const leg of call.state.legs) if (leg.end === null) ids.add(leg.channelId);
  }
  return ids;
}

/** What a gone event repeats of its leg (a LegState of the registry, or a Leg of a record: same names). */
export interface GoneLeg {
  channelId: string;
  name: string;
  state: string;
  callerNumber: string;
  callerName: string;
  connectedNumber: string;
}

/**
 * The engine-made event that ends an open leg: a resync's (no reason) or the stale-call sweep's. It repeats
 * the leg's caller and connected numbers: the transition refreshes a leg from every snapshot it is given,
 * and a snapshot without them would blank the call's numbers as it closes it.
 */
export function channelGoneEvent(leg: GoneLeg, timestamp: string, reason?: SweepReason): Record<string, unknown> {
  return {
    type: RESYNC_GONE,
    timestamp,
    ...(reason === undefined ? {} : { reason }),
    channel: {
      id: leg.channelId,
      name: leg.name,
      state: leg.state,
      caller: { name: leg.callerName, number: leg.callerNumber },
      connected: { name: '', number: leg.connectedNumber },
    },
  };
}

export interface LiveView {
  channels: readonly AriChannel[];
  bridges: readonly AriBridge[];
}

/**
 * Brings back into the registry the stored calls that hold live channels it does not know: calls the engine
 * closed itself while their channels lived on (the stale-call sweep closes the calls of a server out of reach
 * too long), then forgot (a finished call leaves memory soon after; a restart). Without them the resync would
 * take those channels for a new call under the same id, whose record would replace the stored one. A call
 * brought back stays as it was closed until Asterisk reports its channels' end. Returns how many came back.
 */
export async function restoreCallsOfLiveChannels(
  store: Pick<Store, 'callIdsOfChannels' | 'getEvents' | 'getCall'>,
  server: string,
  registry: CallRegistry,
  view: LiveView,
  hydrate: (events: readonly StoredEvent[], stored: CallRecord | undefined) => void,
): Promise<number> {
  const unknown = view.channels.map((c) => c.id).filter((id) => !registry.callOfChannel(id));
  if (unknown.length === 0) return 0;
  const callIds = new Set((await store.callIdsOfChannels(server, unknown)).values());
  // The stored record too: the call keeps the tenant it was given when founded.
  for (const callId of callIds) hydrate(await store.getEvents(callId), (await store.getCall(callId)) ?? undefined);
  return callIds.size;
}

/**
 * The events that make the registry agree with what Asterisk reports alive. `openBefore` guards
 * channels created while the lists were being fetched: only legs open before it started can be gone.
 * `lastHeardAt` is the time of the last event received from the server (null: none this run): a call
 * found gone ends there, or at its own last event if later, never after `now` (goneCallEnd).
 */
export function resyncEvents(
  registry: CallRegistry,
  openBefore: ReadonlySet<string>,
  view: LiveView,
  now: Date,
  lastHeardAt: string | null = null,
): Record<string, unknown>[] {
  const timestamp = now.toISOString();
  const live = new Map(view.channels.map((c) => [c.id, c]));
  const bridgeOf = new Map<string, AriBridge>();
  for (const b of view.bridges) for (const id of b.channels) bridgeOf.set(id, b);
  const events: Record<string, unknown>[] = [];
  for (const call of registry.calls()) {
    const { lastEventAt } = call.state;
    for (const leg of call.state.legs) {
      if (leg.end !== null || !openBefore.has(leg.channelId)) continue;
      const channel = live.get(leg.channelId);
      if (channel === undefined) {
        events.push(channelGoneEvent(leg, goneCallEnd(lastEventAt, lastHeardAt, timestamp)));
      } else if (channel.state === 'Up' && leg.answeredAt === null) {
        // Answered while the engine could not see it: no ChannelStateChange will ever tell.
        events.push(foundEvent(channel, bridgeOf.get(channel.id), foundUpAt(lastEventAt, timestamp)));
      }
    }
  }
  const unknown = view.channels.filter((c) => !registry.callOfChannel(c.id)).sort((a, b) => compareUniqueids(a.id, b.id));
  for (const channel of unknown) events.push(foundEvent(channel, bridgeOf.get(channel.id), timestamp));
  return events;
}

function foundEvent(channel: AriChannel, bridge: AriBridge | undefined, timestamp: string): Record<string, unknown> {
  return {
    type: RESYNC_FOUND,
    timestamp,
    channel,
    ...(bridge ? { bridge: { id: bridge.id, bridge_type: bridge.bridge_type } } : {}),
  };
}
