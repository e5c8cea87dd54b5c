import type { SweepReason } from './staleness.ts';

// Normalized call events: what the domain sees. The ARI adapter (src/ari/normalize.ts) turns raw
// ARI JSON into these; nothing in src/domain reads ARI JSON.

export interface ChannelSnapshot {
  id: string;
  name: string;
  state: string;
  callerNumber: string;
  callerName: string;
  connectedNumber: string;
  connectedName: string;
  context: string;
  exten: string;
  createdAt: string;
  /** `CHANNEL(linkedid)` from channelvars, when ari.conf echoes it. */
  linkedId: string | null;
}

export type DialStatus =
  | ''
  | 'RINGING'
  | 'PROGRESS'
  | 'PROCEEDING'
  | 'ANSWER'
  | 'BUSY'
  | 'NOANSWER'
  | 'CONGESTION'
  | 'CANCEL'
  | 'CHANUNAVAIL'
  | 'DONTCALL'
  | 'TORTURE'
  | 'INVALIDARGS'
  | (string & {});

interface Base {
  /** ISO-8601 UTC, converted from Asterisk's local-zone timestamp. */
  at: string;
  /** Raw ARI event type, kept for the timeline and statistics. */
  type: string;
  /** Made from Asterisk's CEL for a window the engine could not see (src/cel), not received over ARI. */
  backfill?: true;
}

export type CallEvent =
  | (Base & { kind: 'channel_created'; channel: ChannelSnapshot })
  /**
   * Any event that carries a channel snapshot and nothing else the domain interprets. `foundAtResync` marks
   * the engine-made CallflowChannelFound: a resync found the channel alive (see transition.ts on its answer).
   */
  | (Base & { kind: 'channel_update'; channel: ChannelSnapshot; foundAtResync?: true })
  | (Base & { kind: 'channel_state'; channel: ChannelSnapshot })
  | (Base & { kind: 'hangup_request'; channel: ChannelSnapshot; cause: number | null; soft: boolean })
  | (Base & {
      kind: 'channel_destroyed';
      channel: ChannelSnapshot;
      cause: number;
      causeText: string;
      techCause: number | null;
    })
  | (Base & { kind: 'stasis_start'; channel: ChannelSnapshot; args: string[]; replaceChannelId: string | null })
  | (Base & { kind: 'stasis_end'; channel: ChannelSnapshot })
  /**
   * Engine-made (`CallflowChannelGone`): a resync found the channel no longer alive in Asterisk
   * (`sweepReason` null), or the stale-call sweep closed its call (the event's `reason`).
   */
  | (Base & { kind: 'channel_gone'; channel: ChannelSnapshot; sweepReason: SweepReason | null })
  | (Base & {
      kind: 'dial';
      caller: ChannelSnapshot | null;
      peer: ChannelSnapshot;
      status: DialStatus;
      dialstring: string;
      forward: string;
    })
  | (Base & {
      kind: 'bridge_entered';
      channel: ChannelSnapshot;
      bridgeId: string;
      /** `mixing` or `holding`. */
      bridgeType: string;
      /** Who runs the bridge: `basic` (Dial, Queue), `stasis` (ARI), `base` (ConfBridge), ...; empty when not said. */
      bridgeClass: string;
      /** A CallflowChannelFound of a channel in a bridge is one too, with `foundAtResync`. */
      foundAtResync?: true;
    })
  | (Base & { kind: 'bridge_left'; channel: ChannelSnapshot; bridgeId: string })
  | (Base & { kind: 'dtmf'; channel: ChannelSnapshot; digit: string; durationMs: number })
  | (Base & { kind: 'variable'; channel: ChannelSnapshot; name: string; value: string })
  | (Base & { kind: 'hold'; channel: ChannelSnapshot; musicClass: string })
  | (Base & { kind: 'unhold'; channel: ChannelSnapshot })
  | (Base & {
      kind: 'transfer';
      /** Channels the transfer event names; the first is the one the transfer is filed under. */
      channels: ChannelSnapshot[];
      transferType: 'blind' | 'attended' | 'other';
      result: string;
      target: string;
      /**
       * A blind transfer's `replace_channel`: the Local channel Asterisk requested on the transferer's behalf
       * to stand in for it (so it, and its other half, share the transferer's linkedid from the start).
       */
      replacingId: string | null;
    })
  /** Recording of a channel (target `channel:ID`); bridge recordings are stored as `other`. */
  | (Base & { kind: 'recording'; channelId: string; name: string; state: string; target: string })
  /** Engine-made (`CallflowRoutingStep`): one step of a routed call's path, e.g. "IVR Main: pressed 2" (src/routing). */
  | (Base & { kind: 'routing_step'; channelId: string; text: string; step: Record<string, unknown>; answeredBy: string | null })
  /** Events with no channel (BridgeCreated, DeviceStateChanged, global ChannelVarset, ...): stored only. */
  | (Base & { kind: 'other'; channelIds: string[] });

export type CallEventKind = CallEvent['kind'];
