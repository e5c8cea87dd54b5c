import type { CallEvent, ChannelSnapshot } from '../../src/domain/events.ts';
import { directionPolicy } from '../../src/domain/direction.ts';
import type { SweepReason } from '../../src/domain/staleness.ts';

// Normalized call events for tests of the pure domain: a channel snapshot with the usual defaults, and one
// builder per event kind, each dated by its last argument.

/** Calls from the trunk `PJSIP/provider` into `from-trunk` are inbound; `from-internal` is internal. */
export const trunkPolicy = directionPolicy({
  inboundContexts: ['from-trunk'],
  internalContexts: ['from-internal'],
  trunkEndpoints: ['PJSIP/provider'],
  extensionPattern: '^\\d{2,5}$',
});

export function snapshot(id: string, name: string, state: string, extra: Partial<ChannelSnapshot> = {}): ChannelSnapshot {
  return {
    id,
    name,
    state,
    callerNumber: '5551234',
    callerName: '',
    connectedNumber: '',
    connectedName: '',
    context: 'from-trunk',
    exten: '200',
    createdAt: '',
    linkedId: null,
    ...extra,
  };
}

export const createdAt = (c: ChannelSnapshot, at: string): CallEvent => ({ kind: 'channel_created', type: 'ChannelCreated', at, channel: { ...c, createdAt: at } });
export const stateAt = (c: ChannelSnapshot, state: string, at: string): CallEvent => ({ kind: 'channel_state', type: 'ChannelStateChange', at, channel: { ...c, state } });
export const destroyedAt = (c: ChannelSnapshot, cause: number, techCause: number | null, at: string): CallEvent => ({
  kind: 'channel_destroyed',
  type: 'ChannelDestroyed',
  at,
  channel: c,
  cause,
  causeText: '',
  techCause,
});
export const hangupRequestAt = (c: ChannelSnapshot, cause: number | null, at: string): CallEvent => ({ kind: 'hangup_request', type: 'ChannelHangupRequest', at, channel: c, cause, soft: false });
export const dialAt = (caller: ChannelSnapshot | null, peer: ChannelSnapshot, status: string, dialstring: string, at: string): CallEvent => ({
  kind: 'dial',
  type: 'Dial',
  at,
  caller,
  peer,
  status,
  dialstring,
  forward: '',
});
/** A channel a resync (no reason) or the stale-call sweep found gone. */
export const goneAt = (c: ChannelSnapshot, sweepReason: SweepReason | null, at: string): CallEvent => ({ kind: 'channel_gone', type: 'CallflowChannelGone', at, channel: c, sweepReason });
