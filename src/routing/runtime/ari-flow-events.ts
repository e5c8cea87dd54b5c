import type { FlowEvent } from '../flow/types.ts';

// ARI events as the flow runtime hears them (pure): which flow object an event is about (a channel, a
// playback, a recording) and the flow event it is. A caller's channel handed to the application with
// `Stasis(<app>,route)` starts a flow; a channel the runtime originated enters the application when it is
// answered (`Stasis` args `member,<flow id>`).

export const ROUTE_ARG = 'route';
export const MEMBER_ARG = 'member';

export type FlowInput =
  /** `endpoint`: the caller's PJSIP endpoint (a phone of a tenant calls inside it), null for any other channel. */
  | { kind: 'start'; channelId: string; from: string | null; callerName: string | null; dialed: string; endpoint: string | null }
  | { kind: 'channel'; channelId: string; event: FlowEvent }
  | { kind: 'playback'; playbackId: string; event: FlowEvent }
  | { kind: 'recording'; recordingId: string; event: FlowEvent }
  /** A PJSIP endpoint's registration changed (`online`, `offline`, …): presence of its extension. */
  | { kind: 'endpoint'; resource: string; state: string }
  /** A device's state changed (`PJSIP/101` `INUSE`): presence of the extension whose phone it is. */
  | { kind: 'device'; name: string; state: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const textOf = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Event types the runtime reads; any other frame is skipped before it is parsed. */
export const FLOW_EVENT_TYPES = [
  'StasisStart',
  'ChannelStateChange',
  'ChannelDtmfReceived',
  'ChannelDestroyed',
  'PlaybackFinished',
  'RecordingFinished',
  'RecordingFailed',
  'EndpointStateChange',
  'DeviceStateChanged',
] as const;

/** The flow input an ARI event is, or null when it concerns no flow. */
export function flowInputOf(raw: Json): FlowInput | null {
  const channel = isObject(raw.channel) ? raw.channel : null;
  const channelId = channel ? textOf(channel.id) : null;
  switch (raw.type) {
    case 'StasisStart': {
      if (!channel || channelId === null) return null;
      const args = Array.isArray(raw.args) ? raw.args.map(String) : [];
      if (args[0] === MEMBER_ARG) return { kind: 'channel', channelId, event: { type: 'answered', channelId } };
      if (args[0] !== ROUTE_ARG) return null;
      const caller = isObject(channel.caller) ? channel.caller : {};
      const dialplan = isObject(channel.dialplan) ? channel.dialplan : {};
      // `Stasis(app,route,<number>)` may name the number; else the extension the call was dialled to.
      const dialed = textOf(args[1]) ?? textOf(dialplan.exten);
      if (dialed === null) return null;
      return { kind: 'start', channelId, from: textOf(caller.number), callerName: textOf(caller.name), dialed, endpoint: pjsipEndpointOf(textOf(channel.name)) };
    }
    case 'ChannelStateChange':
      if (channelId === null || channel?.state !== 'Ringing') return null;
      return { kind: 'channel', channelId, event: { type: 'ringing', channelId } };
    case 'ChannelDtmfReceived': {
      const digit = textOf(raw.digit);
      if (channelId === null || digit === null || !/^[0-9*#A-D]$/.test(digit)) return null;
      return { kind: 'channel', channelId, event: { type: 'dtmf', channelId, digit } };
    }
    case 'ChannelDestroyed': {
      if (channelId === null) return null;
      const cause = typeof raw.cause === 'number' && Number.isInteger(raw.cause) ? raw.cause : 16;
      return { kind: 'channel', channelId, event: { type: 'hangup', channelId, cause } };
    }
    case 'PlaybackFinished': {
      const playbackId = isObject(raw.playback) ? textOf(raw.playback.id) : null;
      if (playbackId === null) return null;
      return { kind: 'playback', playbackId, event: { type: 'playback-finished', playbackId } };
    }
    case 'RecordingFinished':
    case 'RecordingFailed': {
      const recording = isObject(raw.recording) ? raw.recording : null;
      const recordingId = recording ? textOf(recording.name) : null;
      if (!recording || recordingId === null) return null;
      const duration = raw.type === 'RecordingFinished' && typeof recording.duration === 'number' && recording.duration > 0 ? Math.round(recording.duration) : 0;
      return { kind: 'recording', recordingId, event: { type: 'recording-finished', recordingId, durationS: duration } };
    }
    case 'EndpointStateChange': {
      const endpoint = isObject(raw.endpoint) ? raw.endpoint : null;
      const resource = endpoint ? textOf(endpoint.resource) : null;
      if (!endpoint || resource === null || endpoint.technology !== 'PJSIP') return null;
      return { kind: 'endpoint', resource, state: textOf(endpoint.state) ?? 'unknown' };
    }
    case 'DeviceStateChanged': {
      const device = isObject(raw.device_state) ? raw.device_state : null;
      const name = device ? textOf(device.name) : null;
      const state = device ? textOf(device.state) : null;
      if (name === null || state === null || !name.startsWith('PJSIP/')) return null;
      return { kind: 'device', name, state };
    }
    default:
      return null;
  }
}

/** `PJSIP/acme-101-0000002a` → `acme-101`: the endpoint of a PJSIP channel (its name without the unique suffix). */
export function pjsipEndpointOf(channelName: string | null): string | null {
  const m = channelName === null ? null : /^PJSIP\/(.+)-[0-9a-f]{8}$/.exec(channelName);
  return m ? m[1]! : null;
}
