// What a simulated Asterisk has alive right now, kept from the events it sent, so `GET /channels` and
// `GET /bridges` can be answered and a resync against the simulator sees the truth.
import { channelsIn, isChannel, type ChannelJson } from './ari-json.ts';

export type BridgeJson = Record<string, unknown> & { id: string };

export class LiveState {
  private readonly channels = new Map<string, ChannelJson>();
  private readonly bridges = new Map<string, BridgeJson>();
  /** Destroyed channels of calls still in flight: later events may mention them again (Dial, CallerId). */
  private readonly destroyed = new Set<string>();

  apply(event: Record<string, unknown>): void {
    const type = event.type;
    if (type === 'ChannelDestroyed' && isChannel(event.channel)) {
      this.channels.delete(event.channel.id);
      this.destroyed.add(event.channel.id);
    } else {
      for (const ch of channelsIn(event)) if (!this.destroyed.has(ch.id)) this.channels.set(ch.id, ch);
    }
    const bridge = event.bridge as BridgeJson | undefined;
    if (bridge && typeof bridge.id === 'string') {
      if (type === 'BridgeDestroyed') this.bridges.delete(bridge.id);
      else this.bridges.set(bridge.id, bridge);
    }
  }

  /** Forgets a finished call's channels for good. */
  forget(channelIds: readonly string[]): void {
    for (const id of channelIds) {
      this.channels.delete(id);
      this.destroyed.delete(id);
    }
  }

  listChannels(): ChannelJson[] {
    return [...this.channels.values()].map((c) => structuredClone(c));
  }

  listBridges(): BridgeJson[] {
    return [...this.bridges.values()].map((b) => structuredClone(b));
  }
}
