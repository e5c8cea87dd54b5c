// The raw ARI JSON shapes the simulator reads and writes, and helpers to walk them.
import { parseAsteriskTimestamp } from './asterisk-time.ts';

export type RawEvent = Record<string, unknown> & { type: string; timestamp: string };

export interface ChannelJson {
  id: string;
  name: string;
  state: string;
  protocol_id?: string;
  caller: { name: string; number: string };
  connected: { name: string; number: string };
  dialplan: { context: string; exten: string; priority: number; app_name: string; app_data: string };
  creationtime: string;
  channelvars?: Record<string, string>;
  [key: string]: unknown;
}

export function isChannel(value: unknown): value is ChannelJson {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.name === 'string' && typeof v.state === 'string' &&
    typeof v.dialplan === 'object' && v.dialplan !== null;
}

/** Every channel object inside an event (channel, peer, caller of Dial, transferee, ...), in key order. */
export function channelsIn(value: unknown, out: ChannelJson[] = []): ChannelJson[] {
  if (isChannel(value)) {
    out.push(value);
    return out;
  }
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) channelsIn(child, out);
  }
  return out;
}

export function eventMs(event: RawEvent): number {
  const ms = parseAsteriskTimestamp(event.timestamp);
  if (ms === null) throw new RangeError(`event ${event.type} has no Asterisk timestamp: ${event.timestamp}`);
  return ms;
}

export function channelOf(event: RawEvent): ChannelJson | null {
  return isChannel(event.channel) ? event.channel : null;
}
