// No blind transfer was recorded, so one is built from the recorded Dial() call (c_dial_answered):
// while caller and callee talk, the callee's bridged leg blind-transfers the caller to another
// extension. As Asterisk does for a bridge transfer, a new Local pair is created, its `;1` half is
// swapped into the bridge in place of the transferer (BridgeBlindTransfer names it `replace_channel`),
// the old callee pair hangs up, the `;2` half rings and answers, and the recorded hangup follows with
// the new pair in the old callee's place.
import { formatAsteriskTimestamp } from '../asterisk-time.ts';
import type { PhaseWindow } from './trace-to-template.ts';
import { channelOf, eventMs, isChannel, type ChannelJson, type RawEvent } from '../ari-json.ts';

export const TRANSFER_NUMBER = '201';
const TRANSFER_CONTEXT = 'from-test';
const TALK_BEFORE_TRANSFER_MS = 1500;
const TARGET_RING_MS = 1000;
const TARGET_TALK_MS = 2000;

interface Synthesized {
  events: RawEvent[];
  phases: PhaseWindow[];
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function sibling(events: RawEvent[], ch: ChannelJson): ChannelJson {
  const other = ch.name.endsWith(';1') ? ch.name.replace(/;1$/, ';2') : ch.name.replace(/;2$/, ';1');
  const found = events.map(channelOf).find((c) => c?.name === other);
  if (!found) throw new RangeError(`no Local sibling for ${ch.name}`);
  return found;
}

/** The latest snapshot of a channel at or before event index `at`. */
function latest(events: RawEvent[], id: string, at: number): ChannelJson {
  for (let i = at; i >= 0; i--) {
    const ch = channelOf(events[i] as RawEvent);
    if (ch?.id === id) return clone(ch);
  }
  throw new RangeError(`channel ${id} not seen`);
}

function withId(base: ChannelJson, id: string, over: Partial<ChannelJson>): ChannelJson {
  const out: ChannelJson = { ...clone(base), ...over, id };
  if (out.channelvars) out.channelvars = { ...out.channelvars, 'CHANNEL(uniqueid)': id };
  return out;
}

function mapChannels(value: unknown, fn: (ch: ChannelJson) => ChannelJson): unknown {
  if (isChannel(value)) return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapChannels(v, fn));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapChannels(v, fn)]));
}

export function synthesizeBlindTransfer(recorded: RawEvent[]): Synthesized {
  const dial = recorded.find((e) => e.type === 'Dial' && isChannel(e.caller) && isChannel(e.peer));
  if (!dial || !isChannel(dial.caller) || !isChannel(dial.peer)) throw new RangeError('the trace has no dialplan Dial');
  const inbound = dial.caller; // C1: the caller's leg, stays in the bridge
  const transferer = dial.peer; // C2: the callee's leg in the bridge
  const calleeHalf = sibling(recorded, transferer); // C3: the callee's dialplan half
  const split = recorded.findIndex((e) => e.type === 'ChannelDialplan' && e.dialplan_app === 'Hangup' && channelOf(e)?.id === calleeHalf.id);
  const bridgeEvent = recorded.find((e) => e.type === 'BridgeCreated');
  if (split < 0 || !bridgeEvent) throw new RangeError('the trace has no answered, bridged callee that hangs up');
  const head = recorded.slice(0, split);
  const tail = recorded.slice(split);
  const common = { asterisk_id: head[0]?.asterisk_id, application: head[0]?.application };

  const [epoch, counter] = calleeHalf.id.split('.');
  const localHex = (parseInt(calleeHalf.name.slice(-10, -2), 16) + 1).toString(16).padStart(8, '0');
  const localName = `Local/${TRANSFER_NUMBER}@${TRANSFER_CONTEXT}-${localHex}`;
  const t1 = eventMs(head[head.length - 1] as RawEvent) + TALK_BEFORE_TRANSFER_MS;
  const t2 = t1 + TARGET_RING_MS;
  const t3 = t2 + TARGET_TALK_MS;
  const ts = (ms: number) => formatAsteriskTimestamp(ms);
  const dialplan = (priority: number, app: string, data: string) =>
    ({ context: TRANSFER_CONTEXT, exten: TRANSFER_NUMBER, priority, app_name: app, app_data: data });

  const inb = latest(head, inbound.id, head.length - 1);
  const old1 = latest(head, transferer.id, head.length - 1);
  const old2 = latest(head, calleeHalf.id, head.length - 1);
  let c4 = withId(old1, `${epoch}.${Number(counter) + 1}`, {
    name: `${localName};1`, state: 'Down', caller: { name: '', number: TRANSFER_NUMBER }, connected: clone(inb.caller),
    dialplan: dialplan(1, '', ''), creationtime: ts(t1),
  });
  let c5 = withId(old2, `${epoch}.${Number(counter) + 2}`, {
    name: `${localName};2`, state: 'Ring', caller: clone(inb.caller), connected: { name: '', number: '' },
    dialplan: dialplan(1, '', ''), creationtime: ts(t1),
  });
  const bridge = (bridgeEvent.bridge ?? {}) as Record<string, unknown>;
  const bridgeWith = (ids: string[]) => ({ ...clone(bridge), channels: [...ids].sort() });
  const ev = (ms: number, type: string, fields: Record<string, unknown>): RawEvent =>
    ({ type, timestamp: ts(ms), ...fields, ...common }) as RawEvent;
  const onChannel = (ms: number, type: string, ch: ChannelJson, fields: Record<string, unknown> = {}) =>
    ev(ms, type, { ...fields, channel: clone(ch) });
  const varset = (ms: number, ch: ChannelJson, variable: string, value: string) =>
    ({ variable, value, ...onChannel(ms, 'ChannelVarset', ch) }) as RawEvent;
  const device = (ms: number, name: string, state: string) => ev(ms, 'DeviceStateChanged', { device_state: { name, state } });
  const step = (priority: number, app: string, data: string) => {
    c5 = { ...c5, dialplan: dialplan(priority, app, data) };
    return onChannel(t1 + 1, 'ChannelDialplan', c5, { dialplan_app: app, dialplan_app_data: data });
  };
  const gone = (ch: ChannelJson) => ({ ...ch, dialplan: { ...ch.dialplan, app_name: '', app_data: '' } });

  const transfer: RawEvent[] = [
    onChannel(t1, 'ChannelCreated', c4),
    onChannel(t1, 'ChannelCreated', c5),
    onChannel(t1, 'ChannelCallerId', c5, { caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened' }),
    ev(t1, 'ChannelEnteredBridge', { bridge: bridgeWith([inb.id, old1.id, c4.id]), channel: clone(c4) }),
    ev(t1, 'ChannelLeftBridge', { bridge: bridgeWith([inb.id, c4.id]), channel: clone(old1) }),
    ev(t1, 'BridgeBlindTransfer', {
      channel: clone(old1), exten: TRANSFER_NUMBER, context: TRANSFER_CONTEXT, result: 'Success', is_external: false,
      transferee: clone(inb), replace_channel: clone(c4), bridge: bridgeWith([inb.id, c4.id]),
    }),
    varset(t1, old1, 'BRIDGEPEER', ''),
    varset(t1, inb, 'BRIDGEPEER', c4.name),
    varset(t1, c4, 'BRIDGEPEER', inb.name),
    onChannel(t1, 'ChannelHangupRequest', old1, { cause: 16, soft: true }),
    onChannel(t1, 'ChannelHangupRequest', old2, { cause: 16 }),
    onChannel(t1, 'ChannelDestroyed', gone(old1), { cause: 16, cause_txt: 'Normal Clearing' }),
    onChannel(t1, 'ChannelDestroyed', gone(old2), { cause: 16, cause_txt: 'Normal Clearing' }),
    device(t1, 'Local/answer@callee-side', 'NOT_INUSE'),
    device(t1, `Local/${TRANSFER_NUMBER}@${TRANSFER_CONTEXT}`, 'INUSE'),
    step(1, 'NoOp', 'transfer target answers'),
    step(2, 'Ringing', ''),
    onChannel(t1 + 1, 'ChannelStateChange', (c4 = { ...c4, state: 'Ringing' })),
    step(3, 'Wait', '1'),
  ];
  c5 = { ...c5, dialplan: dialplan(4, 'Answer', '') };
  transfer.push(
    onChannel(t2, 'ChannelDialplan', c5, { dialplan_app: 'Answer', dialplan_app_data: '' }),
    onChannel(t2, 'ChannelStateChange', (c5 = { ...c5, state: 'Up' })),
    onChannel(t2, 'ChannelStateChange', (c4 = { ...c4, state: 'Up' })),
    device(t2, `Local/${TRANSFER_NUMBER}@${TRANSFER_CONTEXT}`, 'INUSE'),
  );
  c5 = { ...c5, dialplan: dialplan(5, 'Wait', '2') };
  transfer.push(onChannel(t2 + 1, 'ChannelDialplan', c5, { dialplan_app: 'Wait', dialplan_app_data: '2' }));

  const shiftMs = t3 - eventMs(tail[0] as RawEvent);
  const swap = (ch: ChannelJson): ChannelJson => {
    if (ch.id === old1.id) return { ...c4, state: ch.state, dialplan: c4.dialplan };
    if (ch.id === old2.id) return { ...c5, state: ch.state, dialplan: { ...ch.dialplan, context: TRANSFER_CONTEXT, exten: TRANSFER_NUMBER } };
    return ch;
  };
  const renames: Array<[string, string]> = [
    [`"${old1.id}"`, `"${c4.id}"`],
    [`"${old2.id}"`, `"${c5.id}"`],
    ['"Local/answer@callee-side"', `"Local/${TRANSFER_NUMBER}@${TRANSFER_CONTEXT}"`],
  ];
  const answeredAt = eventMs(head.find((e) => e.type === 'Dial' && e.dialstatus === 'ANSWER' && isChannel(e.caller)) as RawEvent);
  const dialedAt = eventMs(head.find((e) => e.type === 'ChannelDialplan' && e.dialplan_app === 'Dial') as RawEvent);
  const after = tail.map((e) => {
    let text = JSON.stringify(mapChannels(e, swap));
    for (const [from, to] of renames) text = text.split(from).join(to);
    const out = JSON.parse(text) as RawEvent;
    const atMs = eventMs(e) + shiftMs;
    out.timestamp = ts(atMs);
    const since = out.variable === 'ANSWEREDTIME_MS' || out.variable === 'ANSWEREDTIME' ? answeredAt
      : out.variable === 'DIALEDTIME_MS' || out.variable === 'DIALEDTIME' ? dialedAt : null;
    if (since !== null && /^\d+$/.test(String(out.value))) {
      const ms = atMs - since;
      out.value = String(String(out.variable).endsWith('_MS') ? ms : Math.floor(ms / 1000));
    }
    return out;
  });

  const firstUp = head.find((e) => e.type === 'ChannelStateChange' && channelOf(e)?.state === 'Up');
  const firstRinging = head.find((e) => e.type === 'ChannelStateChange' && channelOf(e)?.state === 'Ringing');
  if (!firstUp || !firstRinging) throw new RangeError('the recorded Dial call neither rings nor answers');
  return {
    events: [...head, ...transfer, ...after],
    phases: [
      { name: 'ring', fromMs: eventMs(firstRinging), toMs: eventMs(firstUp) },
      { name: 'talk', fromMs: eventMs(firstUp), toMs: t1 },
      { name: 'transferRing', fromMs: t1, toMs: t2 },
      { name: 'transferTalk', fromMs: t2, toMs: t3 },
    ],
  };
}
