import type { CallRecord } from '../domain/call.ts';
import type { OutboxInsert } from '../store/types.ts';
import { BITRIX_SINK, webhookSinkName, type BitrixStatusCode, type CrmConfig, type CrmEventType, type MediaEventType } from './config.ts';

// Which sinks get which deliveries for one call transition. Pure: the engine calls it for every call a
// batch changed and writes the rows in the same transaction as the call state.

/** Bitrix24 only (card mode `ring`): the call reached a second leg, so someone's phone is ringing. */
export const RINGING_EVENT = 'call.ringing';
export type DeliveryEventType = CrmEventType | typeof RINGING_EVENT;

export interface TranscriptMessage {
  side: 'user' | 'client';
  startSec: number;
  stopSec: number;
  text: string;
}

/** A conversation recorded by policy (call.recorded). `audioPath`: the engine's route that serves its WAV. */
export interface RecordingFacts {
  id: string;
  durationS: number;
  policy: 'number' | 'extension';
  audioPath: string;
}

/** A voicemail message left by the call's caller (voicemail.left). */
export interface VoicemailFacts {
  boxId: string;
  messageId: string;
  /** The stored recording holding the message's audio. */
  recordingId: string;
  durationS: number;
  from: string | null;
  audioPath: string;
}

/** What a delivery carries: the call as it was at that transition, plus optional media facts. */
export interface DeliveryPayload {
  call: CallRecord;
  recording?: RecordingFacts;
  voicemail?: VoicemailFacts;
  recordingUrl?: string;
  transcript?: TranscriptMessage[];
  /** Bitrix24's STATUS_CODE for the finish, when it is known without the call (a click-to-call never placed). */
  statusCode?: BitrixStatusCode;
}

export interface CallChange {
  previous: CallRecord | null;
  current: CallRecord;
  /** Attached to the call.finished deliveries when known. */
  recordingUrl?: string;
  transcript?: TranscriptMessage[];
}

export function idempotencyKey(sink: string, callId: string, eventType: string): string {
  return `${sink}:${callId}:${eventType}`;
}

/** Events the transition produced, in the order a CRM must see them. */
export function transitionEvents(before: CallRecord | null, current: CallRecord): DeliveryEventType[] {
  // A call whose id changed (merged under another call's id) is new to every sink under that id.
  const previous = before !== null && before.id === current.id ? before : null;
  const out: DeliveryEventType[] = [];
  if (previous === null) out.push('call.created');
  const legsBefore = previous?.legs.length ?? 0;
  if (legsBefore < 2 && current.legs.length >= 2 && current.status !== 'finished') out.push(RINGING_EVENT);
  if (current.answeredAt !== null && (previous?.answeredAt ?? null) === null) out.push('call.answered');
  if (current.status === 'finished' && previous?.status !== 'finished') out.push('call.finished');
  return out;
}

function bitrixWants(config: NonNullable<CrmConfig['bitrix24']>, call: CallRecord, type: DeliveryEventType): boolean {
  if (call.direction === 'internal' && !config.sendInternal) return false;
  switch (type) {
    case 'call.created':
    case 'call.finished':
      return true;
    case RINGING_EVENT:
      return config.showCard === 'ring';
    case 'call.answered':
      return config.showCard !== 'never';
  }
}

/**
 * `sinkPrefix` qualifies the sink names of a tenant other than the default one (`<tenantId>/`), so that two
 * tenants' webhooks of the same name never share rows, breakers or rate limits.
 */
export function planDeliveries(config: Pick<CrmConfig, 'webhooks' | 'bitrix24'>, change: CallChange, sinkPrefix = ''): OutboxInsert[] {
  const { current } = change;
  const events = transitionEvents(change.previous, current);
  if (events.length === 0) return [];
  const rows: OutboxInsert[] = [];
  const payloadFor = (type: DeliveryEventType): DeliveryPayload => {
    const payload: DeliveryPayload = { call: current };
    if (type === 'call.finished') {
      if (change.recordingUrl) payload.recordingUrl = change.recordingUrl;
      if (change.transcript?.length) payload.transcript = change.transcript;
    }
    return payload;
  };
  const add = (name: string, type: DeliveryEventType) => {
    const sink = sinkPrefix + name;
    rows.push({ sink, callId: current.id, eventType: type, idempotencyKey: idempotencyKey(sink, current.id, type), payload: payloadFor(type) });
  };

  for (const type of events) {
    if (config.bitrix24 && bitrixWants(config.bitrix24, current, type)) add(BITRIX_SINK, type);
    if (type === RINGING_EVENT) continue;
    for (const hook of config.webhooks) if (hook.events.includes(type)) add(webhookSinkName(hook.name), type);
  }
  // Rows of one sink keep their event order (the outbox delivers per sink and call in id order).
  return rows.sort((a, b) => (a.sink === b.sink ? 0 : a.sink < b.sink ? -1 : 1));
}

/**
 * Rows for media a call left (a recorded conversation, a voicemail message): one per sink that wants it, keyed by
 * the media's own id (a call may leave several). Bitrix24 attaches the audio to its call; webhooks subscribed
 * to the type get the facts and where the audio is.
 */
export function planMediaDeliveries(
  config: Pick<CrmConfig, 'webhooks' | 'bitrix24'>,
  call: CallRecord,
  type: MediaEventType,
  media: { recording: RecordingFacts } | { voicemail: VoicemailFacts },
  sinkPrefix = '',
): OutboxInsert[] {
  const mediaId = 'recording' in media ? media.recording.id : media.voicemail.messageId;
  const rows: OutboxInsert[] = [];
  const add = (name: string): void => {
    const sink = sinkPrefix + name;
    rows.push({ sink, callId: call.id, eventType: type, idempotencyKey: `${idempotencyKey(sink, call.id, type)}:${mediaId}`, payload: { call, ...media } });
  };
  const b = config.bitrix24;
  if (b && !(call.direction === 'internal' && !b.sendInternal)) add(BITRIX_SINK);
  for (const hook of config.webhooks) if ((hook.events as readonly string[]).includes(type)) add(webhookSinkName(hook.name));
  return rows;
}
