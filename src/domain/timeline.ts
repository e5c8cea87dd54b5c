import type { TimelineEntry } from './call.ts';
import type { CallEvent } from './events.ts';
import { causeText } from './causes.ts';

// The call's timeline, derived from its events on read: what a person wants to see in order
// (ringing, answers, dials, bridges, DTMF, variables, holds, transfers, hangups).

const NOISY_VARIABLES = /^(RTPAUDIOQOS|BRIDGEPEER|BRIDGEPVTCALLID|DIALEDPEER|RINGTIME|ANSWEREDTIME|DIALEDTIME|STASISSTATUS|SIPDOMAIN|CHANLOCALSTATUS)/;

export function timelineEntry(event: CallEvent): TimelineEntry | null {
  const base = { at: event.at };
  switch (event.kind) {
    case 'channel_created':
      return { ...base, kind: 'created', channelId: event.channel.id, text: `${event.channel.name} created`, data: { state: event.channel.state } };
    case 'channel_state':
      if (event.channel.state === 'Ringing' || event.channel.state === 'Ring') {
        return { ...base, kind: 'ringing', channelId: event.channel.id, text: `${event.channel.name} ringing`, data: {} };
      }
      if (event.channel.state === 'Up') {
        return { ...base, kind: 'answered', channelId: event.channel.id, text: `${event.channel.name} answered`, data: {} };
      }
      return null;
    case 'dial':
      if (event.status === '') return { ...base, kind: 'dial', channelId: event.peer.id, text: `Dial ${event.dialstring || event.peer.name}`, data: { callerId: event.caller?.id ?? null } };
      return { ...base, kind: 'dial', channelId: event.peer.id, text: `Dial ${event.status}`, data: { status: event.status, callerId: event.caller?.id ?? null } };
    case 'bridge_entered':
      return { ...base, kind: 'bridge_entered', channelId: event.channel.id, text: `${event.channel.name} entered bridge`, data: { bridgeId: event.bridgeId } };
    case 'bridge_left':
      return { ...base, kind: 'bridge_left', channelId: event.channel.id, text: `${event.channel.name} left bridge`, data: { bridgeId: event.bridgeId } };
    case 'dtmf':
      return { ...base, kind: 'dtmf', channelId: event.channel.id, text: `DTMF ${event.digit}`, data: { digit: event.digit, durationMs: event.durationMs } };
    case 'variable':
      if (event.value === '' || NOISY_VARIABLES.test(event.name)) return null;
      return { ...base, kind: 'variable', channelId: event.channel.id, text: `${event.name}=${event.value}`, data: { name: event.name, value: event.value } };
    case 'hold':
      return { ...base, kind: 'hold', channelId: event.channel.id, text: `${event.channel.name} on hold`, data: {} };
    case 'unhold':
      return { ...base, kind: 'unhold', channelId: event.channel.id, text: `${event.channel.name} off hold`, data: {} };
    case 'transfer':
      return {
        ...base,
        kind: 'transfer',
        channelId: event.channels[0]?.id ?? null,
        text: `${event.transferType} transfer${event.target ? ` to ${event.target}` : ''} (${event.result})`,
        data: { transferType: event.transferType, result: event.result, target: event.target },
      };
    case 'recording':
      return { ...base, kind: 'recording', channelId: event.channelId, text: `recording ${event.name} ${event.state}`, data: { name: event.name, state: event.state } };
    case 'routing_step':
      return { ...base, kind: 'routing', channelId: event.channelId, text: event.text, data: event.step };
    case 'stasis_start':
      return { ...base, kind: 'stasis', channelId: event.channel.id, text: `${event.channel.name} entered the application`, data: { args: event.args } };
    case 'channel_destroyed':
      return {
        ...base,
        kind: 'hangup',
        channelId: event.channel.id,
        text: `${event.channel.name} hung up: ${event.causeText || causeText(event.cause)}`,
        data: { cause: event.cause, techCause: event.techCause },
      };
    case 'channel_gone':
      return {
        ...base,
        kind: 'hangup',
        channelId: event.channel.id,
        text: event.sweepReason === null ? `${event.channel.name} found gone by resync` : `${event.channel.name} closed by the stale-call sweep (${event.sweepReason})`,
        data: event.sweepReason === null ? {} : { reason: event.sweepReason },
      };
    default:
      return null;
  }
}

export function buildTimeline(events: Iterable<CallEvent>): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const e of events) {
    const entry = timelineEntry(e);
    if (entry) out.push(entry);
  }
  return out;
}
