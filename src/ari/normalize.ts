import type { CallEvent, ChannelSnapshot } from '../domain/events.ts';
import { isSweepReason } from '../domain/staleness.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import { clipText } from '../domain/clip-text.ts';
import { ClipTally, EVENT_LIMITS, type ClippedField } from './event-limits.ts';

// Raw ARI JSON → normalized call events. This is the only place that knows ARI's field names.
// Written by hand rather than with a schema library: it runs once per event on the hot path and
// only checks the fields the domain reads; everything else is stored verbatim and passed over.

type Json = Record<string, unknown>;

/**
 * Engine-made event types written by a resync after a (re)connect, and (the gone one, with a `reason`) by the
 * stale-call sweep; stored like any ARI event.
 */
export const RESYNC_FOUND = 'CallflowChannelFound';
export const RESYNC_GONE = 'CallflowChannelGone';
/** Engine-made: a step of a routed call's path (src/routing), filed under the caller's channel (`channel_id`). */
export const ROUTING_STEP = 'CallflowRoutingStep';

/** True for the event types the engine makes itself rather than receives from a server. */
export function isEngineMade(type: string): boolean {
  return type === RESYNC_FOUND || type === RESYNC_GONE || type === ROUTING_STEP;
}

/** Bound on a routing step's data, in characters of its JSON: a larger one is stored without it (clipped). */
const ROUTING_STEP_DATA_CHARS = 4_096;

/**
 * The field that marks an event the engine made from another record of Asterisk's (`"cel"`: its CEL, for a
 * window it could not see, src/cel); such an event's call is `backfilled`. ARI's own events have no such field.
 */
export const BACKFILL_MARK = 'callflow_source';

function invalid(message: string): AppError {
  return new AppError(ERROR_CODES.EVENT_INVALID, message);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Where clipped values are counted during one (synchronous) normalizeAriEvent call; a tally nobody reads
// when the caller passed none.
let tally = new ClipTally();
const unread = tally;

/** A text field, cut to `max` characters (counted under `field` when it was longer). */
function str(value: unknown, max: number, field: ClippedField): string {
  const s = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
  if (s.length <= max) return s;
  tally.note(field);
  return clipText(s, max);
}

const name = (value: unknown) => str(value, EVENT_LIMITS.name, 'name');
const number = (value: unknown) => str(value, EVENT_LIMITS.number, 'number');
const text = (value: unknown) => str(value, EVENT_LIMITS.text, 'text');

/** An integer in 0..max, or null: a value outside the range is dropped and counted under `field`. */
function intOrNull(value: unknown, max: number, field: ClippedField): number | null {
  let n: number | null = null;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.trim() !== '') n = Number(value);
  if (n === null) return null;
  if (!Number.isFinite(n) || n < 0 || n > max) {
    tally.note(field);
    return null;
  }
  return Math.trunc(n);
}

const cause = (value: unknown) => intOrNull(value, EVENT_LIMITS.cause, 'cause');

/**
 * An id the engine files things under: refused, not clipped, when too long, and refused when it holds control
 * characters or half of a surrogate pair. Two such ids that differ here can be one and the same id once stored
 * (NUL is dropped from text, and broken UTF-16 becomes U+FFFD), which would file two calls or channels as one.
 */
function id(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${field} must be a non-empty string`);
  if (value.length > EVENT_LIMITS.id) throw invalid(`${field} is longer than ${EVENT_LIMITS.id} characters`);
  if (!storableId(value)) throw invalid(`${field} holds control characters or broken Unicode`);
  return value;
}

/** No control characters, no lone surrogate halves: a loop, as this runs for several ids of every event. */
function storableId(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
    if (c >= 0xd800 && c <= 0xdfff) {
      if (c > 0xdbff) return false;
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

const ASTERISK_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?)(?:([+-]\d\d):?(\d\d)|Z)$/;
/** The common case, already UTC: checked field by field so no Date needs building. */
const UTC_TIME = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}\+0000$/;

// The last two times converted, and what they gave. Events come in bursts stamped with the same instant,
// and an open call keeps its latest time: converting each distinct text once also makes the calls that
// share an instant share one string (the text pool no longer sees times, see transition.ts).
// Plain variables, not pairs: this runs for every event, and a miss should allocate nothing but its answer.
let lastIn = '';
let lastOut: string | null = null;
let olderIn = '';
let olderOut: string | null = null;

/** `2026-11-21T04:11:05.677+0000` (server's local zone, offset without colon) → ISO-8601 UTC. */
export function toUtcIso(value: string): string | null {
  if (value === lastIn) return lastOut;
  if (value === olderIn) return olderOut;
  const iso = convertTime(value);
  olderIn = lastIn;
  olderOut = lastOut;
  lastIn = value;
  lastOut = iso;
  return iso;
}

function convertTime(value: string): string | null {
  // replace() builds a new flat string; a slice plus "Z" would keep the whole Asterisk text alive behind it.
  if (value.length === 28 && UTC_TIME.test(value)) return value.replace('+0000', 'Z');
  const m = ASTERISK_TIME.exec(value);
  if (!m) return null;
  const date = new Date(m[2] === undefined ? `${m[1]}Z` : `${m[1]}${m[2]}:${m[3]}`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function linkedIdOf(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  if (value.length <= EVENT_LIMITS.id && storableId(value)) return value;
  // Grouping falls back to what it does without channelvars.
  tally.note('linkedid');
  return null;
}

function channelOf(value: unknown, field: string): ChannelSnapshot {
  if (!isObject(value)) throw invalid(`${field} must be an object`);
  const channelId = id(value.id, `${field}.id`);
  const caller = isObject(value.caller) ? value.caller : {};
  const connected = isObject(value.connected) ? value.connected : {};
  const dialplan = isObject(value.dialplan) ? value.dialplan : {};
  const vars = isObject(value.channelvars) ? value.channelvars : null;
  const created = typeof value.creationtime === 'string' ? toUtcIso(value.creationtime) : null;
  return {
    id: channelId,
    name: name(value.name),
    state: text(value.state),
    callerNumber: number(caller.number),
    callerName: name(caller.name),
    connectedNumber: number(connected.number),
    connectedName: name(connected.name),
    context: str(dialplan.context, EVENT_LIMITS.context, 'context'),
    exten: number(dialplan.exten),
    createdAt: created ?? '',
    linkedId: vars ? linkedIdOf(vars['CHANNEL(linkedid)']) : null,
  };
}

function optionalChannel(value: unknown, field: string): ChannelSnapshot | null {
  return value === undefined || value === null ? null : channelOf(value, field);
}

/** `channel:123.4` → `123.4`; other targets (bridge:, endpoint:) → null. */
function channelIdOfUri(uri: unknown): string | null {
  return typeof uri === 'string' && uri.startsWith('channel:') ? id(uri.slice(8), 'target_uri') : null;
}

/** Parses one raw event text; throws AppError(EVENT_INVALID) for anything that is not an ARI event. */
export function parseAriEvent(text: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('event is not valid JSON');
  }
  if (!isObject(value)) throw invalid('event must be a JSON object');
  return value;
}

/**
 * Translates one raw ARI event. `receivedAt` stands in for a missing timestamp.
 * Throws AppError(EVENT_INVALID) when a field the domain needs is missing, malformed or over its bound
 * (event-limits.ts); other texts over their bound are clipped and numbers out of range dropped, each
 * counted in `clips` when given.
 */
export function normalizeAriEvent(raw: Json, receivedAt: string, clips?: ClipTally): CallEvent {
  tally = clips ?? unread;
  try {
    const event = normalize(raw, receivedAt);
    if (raw[BACKFILL_MARK] === 'cel') event.backfill = true;
    return event;
  } finally {
    tally = unread;
    if (unread.total > 0) unread.take();
  }
}

function normalize(raw: Json, receivedAt: string): CallEvent {
  const type = raw.type;
  if (typeof type !== 'string' || type === '') throw invalid('event.type must be a non-empty string');
  if (type.length > EVENT_LIMITS.type) throw invalid(`event.type is longer than ${EVENT_LIMITS.type} characters`);
  let at = receivedAt;
  if (raw.timestamp !== undefined) {
    const parsed = typeof raw.timestamp === 'string' ? toUtcIso(raw.timestamp) : null;
    if (parsed === null) throw invalid(`event.timestamp is not an ARI timestamp: ${String(raw.timestamp).slice(0, 40)}`);
    at = parsed;
  }
  switch (type) {
    case 'ChannelCreated':
      return { kind: 'channel_created', type, at, channel: channelOf(raw.channel, 'channel') };
    case 'ChannelStateChange':
      return { kind: 'channel_state', type, at, channel: channelOf(raw.channel, 'channel') };
    case 'ChannelHangupRequest':
      return {
        kind: 'hangup_request',
        type,
        at,
        channel: channelOf(raw.channel, 'channel'),
        cause: cause(raw.cause),
        soft: raw.soft === true,
      };
    case 'ChannelDestroyed': {
      return {
        kind: 'channel_destroyed',
        type,
        at,
        channel: channelOf(raw.channel, 'channel'),
        cause: cause(raw.cause) ?? 0,
        causeText: text(raw.cause_txt),
        techCause: cause(raw.tech_cause),
      };
    }
    case 'StasisStart': {
      const replace = optionalChannel(raw.replace_channel, 'replace_channel');
      return {
        kind: 'stasis_start',
        type,
        at,
        channel: channelOf(raw.channel, 'channel'),
        args: argsOf(raw.args),
        replaceChannelId: replace ? replace.id : null,
      };
    }
    case 'StasisEnd':
      return { kind: 'stasis_end', type, at, channel: channelOf(raw.channel, 'channel') };
    case RESYNC_GONE:
      // A `reason` marks the stale-call sweep's closing; without one it is a resync's.
      return { kind: 'channel_gone', type, at, channel: channelOf(raw.channel, 'channel'), sweepReason: isSweepReason(raw.reason) ? raw.reason : null };
    case RESYNC_FOUND: {
      // A live channel found by a resync, with the bridge it is in (if any).
      const channel = channelOf(raw.channel, 'channel');
      const bridge = isObject(raw.bridge) ? raw.bridge : null;
      if (bridge && typeof bridge.id === 'string') {
        return { kind: 'bridge_entered', type, at, channel, bridgeId: id(bridge.id, 'bridge.id'), bridgeType: text(bridge.bridge_type), bridgeClass: text(bridge.bridge_class), foundAtResync: true };
      }
      return { kind: 'channel_update', type, at, channel, foundAtResync: true };
    }
    case 'Dial':
      return {
        kind: 'dial',
        type,
        at,
        caller: optionalChannel(raw.caller, 'caller'),
        peer: channelOf(raw.peer, 'peer'),
        status: text(raw.dialstatus),
        dialstring: number(raw.dialstring),
        forward: number(raw.forward),
      };
    case 'ChannelEnteredBridge':
    case 'ChannelLeftBridge': {
      const bridge = isObject(raw.bridge) ? raw.bridge : null;
      if (!bridge || typeof bridge.id !== 'string') throw invalid('bridge.id must be a string');
      const bridgeId = id(bridge.id, 'bridge.id');
      const channel = channelOf(raw.channel, 'channel');
      return type === 'ChannelEnteredBridge'
        ? { kind: 'bridge_entered', type, at, channel, bridgeId, bridgeType: text(bridge.bridge_type), bridgeClass: text(bridge.bridge_class) }
        : { kind: 'bridge_left', type, at, channel, bridgeId };
    }
    case 'ChannelDtmfReceived':
      return {
        kind: 'dtmf',
        type,
        at,
        channel: channelOf(raw.channel, 'channel'),
        digit: text(raw.digit),
        durationMs: intOrNull(raw.duration_ms, EVENT_LIMITS.durationMs, 'duration') ?? 0,
      };
    case 'ChannelVarset':
      if (raw.channel === undefined) return { kind: 'other', type, at, channelIds: [] }; // a global variable
      return {
        kind: 'variable',
        type,
        at,
        channel: channelOf(raw.channel, 'channel'),
        name: str(raw.variable, EVENT_LIMITS.variableName, 'variable'),
        value: str(raw.value, EVENT_LIMITS.variableValue, 'variable'),
      };
    case 'ChannelHold':
      return { kind: 'hold', type, at, channel: channelOf(raw.channel, 'channel'), musicClass: text(raw.musicclass) };
    case 'ChannelUnhold':
      return { kind: 'unhold', type, at, channel: channelOf(raw.channel, 'channel') };
    case 'BridgeBlindTransfer':
    case 'BridgeAttendedTransfer':
    case 'ChannelTransfer':
      return transferOf(raw, type, at);
    case ROUTING_STEP:
      return routingStepOf(raw, type, at);
    case 'RecordingStarted':
    case 'RecordingFinished':
    case 'RecordingFailed': {
      const rec = isObject(raw.recording) ? raw.recording : {};
      const channelId = channelIdOfUri(rec.target_uri);
      if (channelId === null) return { kind: 'other', type, at, channelIds: [] };
      return {
        kind: 'recording',
        type,
        at,
        channelId,
        name: text(rec.name),
        state: text(rec.state),
        target: text(rec.target_uri),
      };
    }
    default:
      return otherOf(raw, type, at);
  }
}

function argsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  if (value.length > EVENT_LIMITS.args) tally.note('args');
  return value.slice(0, EVENT_LIMITS.args).map(text);
}

function transferOf(raw: Json, type: string, at: string): CallEvent {
  const fields =
    type === 'BridgeAttendedTransfer'
      ? ['transferer_first_leg', 'transferer_second_leg', 'transferee', 'transfer_target']
      : ['channel', 'transferee', 'replace_channel'];
  const channels: ChannelSnapshot[] = [];
  for (const f of fields) {
    const c = optionalChannel(raw[f], f);
    if (c) channels.push(c);
  }
  if (channels.length === 0) return { kind: 'other', type, at, channelIds: [] };
  const target =
    type === 'BridgeBlindTransfer'
      ? `${number(raw.exten)}@${str(raw.context, EVENT_LIMITS.context, 'context')}`
      : type === 'BridgeAttendedTransfer'
        ? text(raw.destination_type)
        : text(isObject(raw.refer_to) ? (raw.refer_to as Json).requested_destination : '');
  return {
    kind: 'transfer',
    type,
    at,
    channels,
    transferType: type === 'BridgeBlindTransfer' ? 'blind' : type === 'BridgeAttendedTransfer' ? 'attended' : 'other',
    result: text(raw.result ?? raw.state),
    target,
    replacingId: type === 'BridgeBlindTransfer' ? (optionalChannel(raw.replace_channel, 'replace_channel')?.id ?? null) : null,
  };
}

function routingStepOf(raw: Json, type: string, at: string): CallEvent {
  if (typeof raw.channel_id !== 'string' || raw.channel_id === '') throw invalid('channel_id must be a non-empty string');
  let data: Record<string, unknown> = {};
  if (isObject(raw.step)) {
    if (JSON.stringify(raw.step).length <= ROUTING_STEP_DATA_CHARS) data = raw.step;
    else tally.note('text');
  }
  const answeredBy = typeof raw.answered_by === 'string' && raw.answered_by !== '' ? number(raw.answered_by) : null;
  return { kind: 'routing_step', type, at, channelId: id(raw.channel_id, 'channel_id'), text: str(raw.text, EVENT_LIMITS.text, 'text'), step: data, answeredBy };
}

/** Types the engine stores but does not interpret: filed under the channel they name, if any. */
function otherOf(raw: Json, type: string, at: string): CallEvent {
  if (isObject(raw.channel)) return { kind: 'channel_update', type, at, channel: channelOf(raw.channel, 'channel') };
  const ids: string[] = [];
  for (const key of ['playback', 'recording']) {
    const obj = raw[key];
    const id = isObject(obj) ? channelIdOfUri(obj.target_uri) : null;
    if (id) ids.push(id);
  }
  return { kind: 'other', type, at, channelIds: ids };
}
