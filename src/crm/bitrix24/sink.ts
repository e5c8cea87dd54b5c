import { crmRequestError } from '../errors.ts';
import type { Logger } from '../../app/logger.ts';
import type { CallRecord } from '../../domain/call.ts';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import { callParties, type CallParties } from '../call-parties.ts';
import { BITRIX_SINK, type Bitrix24Config } from '../config.ts';
import type { Target } from '../flow/target.ts';
import { findCrmLink, saveCrmLink, type CrmLink } from '../links.ts';
import { RINGING_EVENT, type DeliveryPayload } from '../plan.ts';
import type { Delivery, Sink } from '../sink.ts';
import { BitrixError, type BitrixClient } from './client.ts';
import { bitrixPhoneNumber, type BitrixPhoneNumber } from './phone-number.ts';
import { durationSec, statusCodeFor } from './status-code.ts';
import { userForExtension, userIdsOf, type BitrixUser } from './users.ts';

// Bitrix24 telephony: one Bitrix24 call per real call, registered once (with our id as
// EXTERNAL_CALL_ID, so overlapping calls never share a CALL_ID), finished once with the answered
// result, cards shown and hidden per mode. Steps already done are recorded in crm_links, so a retried
// or replayed delivery never repeats them.

/** What crm_links.data holds for a Bitrix24 call. */
export interface BitrixLinkData {
  origin?: 'register' | 'click_to_call';
  /**
   * The register as sent, saved before sending: a retry after a lost answer sends exactly these
   * parameters, and Bitrix24 answers a repeat of an unfinished call's parameters with that call's
   * CALL_ID instead of making a second call (the call may have changed meanwhile).
   */
  registerParams?: Record<string, unknown> | null;
  /** Set when PHONE_NUMBER was not the client's number (bitrix24.placeholderNumber). */
  phoneNumber?: { sent: string; original: string };
  /** Who the call was registered under. */
  user?: BitrixUser;
  /** Extensions whose card was shown. */
  shown?: string[];
  crm?: { createdLead: boolean; entityType: string | null; entityId: number | null; createdEntities: unknown };
  leadCreationError?: string;
  /** A finish was sent at least once (its answer may have been lost). */
  finishing?: boolean;
  finished?: { statusCode: string; durationSec: number };
  recordAttached?: boolean;
  transcriptAttached?: boolean;
  /** Stored recordings (a recorded conversation, a voicemail message) waiting for the finish to be attached. */
  pendingMedia?: string[];
  /** Stored recordings attached (the last one is Bitrix24's record: a later attach replaces it). */
  attachedMedia?: string[];
}

/** Most audio sent in one attachRecord (base64 in FILE_CONTENT); longer files stay in the dashboard. */
export const MAX_RECORD_UPLOAD_BYTES = 20 * 1024 * 1024;

interface RegisterResult {
  CALL_ID?: unknown;
  CRM_CREATED_LEAD?: unknown;
  CRM_CREATED_ENTITIES?: unknown;
  CRM_ENTITY_TYPE?: unknown;
  CRM_ENTITY_ID?: unknown;
  LEAD_CREATION_ERROR?: unknown;
}

export interface BitrixSinkOptions {
  config: Bitrix24Config;
  client: BitrixClient;
  target: Target;
  sql: SqlClient;
  isExtension: (s: string) => boolean;
  logger: Logger;
  /** The sink's name when it is not the default tenant's `bitrix24`. */
  name?: string;
  /**
   * The call as stored now. A register is built from it rather than from the delivery's snapshot, so a
   * caller id, connected line or Dial that arrived after the call was first seen is included.
   */
  getCall?: (id: string) => Promise<CallRecord | null>;
  /** A stored recording's audio from the PBX (null: not there); absent: media deliveries fail for good. */
  recordingAudio?: (name: string) => Promise<Buffer | null>;
}

function permanent(message: string): AppError {
  return new AppError(ERROR_CODES.CRM_REQUEST_FAILED, message, { retryable: false, details: { target: BITRIX_SINK } });
}

const isCallNotFound = (err: unknown): boolean =>
  err instanceof BitrixError && (/not.?found/i.test(err.remoteCode) || /not found/i.test(err.description));

const isPhoneNumberRefused = (err: unknown): boolean => err instanceof BitrixError && /phone number/i.test(err.description);

function callOf(delivery: Delivery): CallRecord {
  const call = (delivery.payload as Partial<DeliveryPayload> | null)?.call;
  if (!call || typeof call.id !== 'string' || !Array.isArray(call.legs)) throw permanent(`delivery ${delivery.id} carries no call record`);
  return call;
}

function directionType(call: CallRecord, parties: CallParties): 1 | 2 {
  if (call.direction === 'inbound') return 2;
  if (call.direction === 'outbound' || call.direction === 'internal') return 1;
  return parties.primaryExtension !== null && call.from === parties.primaryExtension ? 1 : 2;
}

export function createBitrixSink(options: BitrixSinkOptions): Sink {
  const { config, client, sql, logger, isExtension } = options;
  const sinkName = options.name ?? BITRIX_SINK;
  const save = (callId: string, externalCallId: string | null, data: BitrixLinkData) =>
    saveCrmLink(sql, { callId, sink: sinkName, externalCallId, data: data as Record<string, unknown> });

  /** The register's parameters and what to remember with them, from the call as it is now. */
  function registerRequest(call: CallRecord, clientNumber: (raw: string) => BitrixPhoneNumber): BitrixLinkData {
    const parties = callParties(call, isExtension);
    const user = userForExtension(config, parties.primaryExtension);
    if (!user) throw permanent(`call ${call.id}: no employee extension and no bitrix24.defaultUserId`);
    const calling = parties.primaryExtension !== null && (parties.ringingExtensions.includes(parties.primaryExtension) || directionType(call, parties) === 1);
    // A card for a call that has already ended would stay open with nothing to close it.
    const show = config.showCard === 'ring' && calling && call.status !== 'finished';
    const phone = clientNumber(parties.clientNumber);
    const params: Record<string, unknown> = {
      ...user,
      PHONE_NUMBER: phone.number,
      TYPE: directionType(call, parties),
      CALL_START_DATE: call.startedAt,
      CRM_CREATE: config.crmCreate ? 1 : 0,
      SHOW: show ? 1 : 0,
      EXTERNAL_CALL_ID: call.id,
    };
    if (parties.lineNumber !== null) params.LINE_NUMBER = parties.lineNumber;
    const data: BitrixLinkData = { origin: 'register', user, shown: show && parties.primaryExtension ? [parties.primaryExtension] : [], registerParams: params };
    if (phone.original !== null) data.phoneNumber = { sent: phone.number, original: phone.original };
    return data;
  }

  async function sendRegister(callId: string, request: BitrixLinkData, signal: AbortSignal): Promise<RegisterResult> {
    await save(callId, null, request);
    try {
      return await client.call<RegisterResult>('telephony.externalCall.register', request.registerParams ?? {}, signal);
    } catch (err) {
      // The portal answered with a refusal: no call was made, so the next try (after the cause is fixed,
      // or the call has changed) is built afresh. Without an answer the call may exist: keep the parameters.
      if (err instanceof BitrixError) await save(callId, null, { registerParams: null });
      throw err;
    }
  }

  async function register(snapshot: CallRecord, signal: AbortSignal): Promise<CrmLink> {
    // Any link under the call's id or one of its channels' ids: a click-to-call Bitrix24 registered
    // itself, or a call merged into this one. Either way this call already has its Bitrix24 call.
    const found = await findCrmLink(sql, sinkName, [snapshot.id, ...snapshot.legs.map((l) => l.channelId)]);
    if (found?.externalCallId) return found.callId === snapshot.id ? found : save(snapshot.id, found.externalCallId, found.data);

    const sentBefore = found?.callId === snapshot.id ? (found.data as BitrixLinkData) : undefined;
    const call = (await options.getCall?.(snapshot.id)) ?? snapshot;
    let request = sentBefore?.registerParams ? sentBefore : registerRequest(call, (raw) => bitrixPhoneNumber(raw, config.placeholderNumber));
    let result: RegisterResult;
    try {
      result = await sendRegister(call.id, request, signal);
    } catch (err) {
      // A number the portal still refuses (its rules are its own): the call goes in with the placeholder.
      if (!isPhoneNumberRefused(err) || request.registerParams?.PHONE_NUMBER === config.placeholderNumber) throw err;
      request = registerRequest(call, (raw) => ({ number: config.placeholderNumber, original: raw }));
      result = await sendRegister(call.id, request, signal);
    }
    if (typeof result?.CALL_ID !== 'string' || result.CALL_ID === '') {
      throw new AppError(ERROR_CODES.CRM_REQUEST_FAILED, 'bitrix24 register answered without CALL_ID', { retryable: true, details: { target: sinkName } });
    }
    if (request.phoneNumber) {
      logger.info({ callId: call.id, sink: sinkName, phoneNumberOriginal: request.phoneNumber.original, phoneNumberSent: request.phoneNumber.sent }, 'registered with the placeholder number: the client number is not one Bitrix24 takes');
    }
    const data: BitrixLinkData = {
      crm: {
        createdLead: Number(result.CRM_CREATED_LEAD ?? 0) > 0,
        entityType: typeof result.CRM_ENTITY_TYPE === 'string' ? result.CRM_ENTITY_TYPE : null,
        entityId: Number(result.CRM_ENTITY_ID) > 0 ? Number(result.CRM_ENTITY_ID) : null,
        createdEntities: result.CRM_CREATED_ENTITIES ?? [],
      },
    };
    if (result.LEAD_CREATION_ERROR) {
      data.leadCreationError = String(result.LEAD_CREATION_ERROR);
      logger.warn({ callId: call.id, sink: sinkName, leadCreationError: data.leadCreationError }, 'Bitrix24 registered the call but could not create its lead');
    }
    return save(call.id, result.CALL_ID, data);
  }

  async function setCards(link: CrmLink, method: 'show' | 'hide', extensions: string[], signal: AbortSignal): Promise<void> {
    const ids = userIdsOf(config, extensions);
    if (ids.length === 0) return;
    await client.call(`telephony.externalCall.${method}`, { CALL_ID: link.externalCallId, USER_ID: ids }, signal);
    const shown = new Set((link.data as BitrixLinkData).shown ?? []);
    for (const ext of extensions) method === 'show' ? shown.add(ext) : shown.delete(ext);
    await save(link.callId, null, { shown: [...shown] });
  }

  /** Cards are for calls still going on: a delivery late after an outage must not pop one up for a call that ended. */
  async function hasEnded(call: CallRecord): Promise<boolean> {
    return ((await options.getCall?.(call.id)) ?? call).status === 'finished';
  }

  async function onRinging(call: CallRecord, signal: AbortSignal): Promise<void> {
    const link = await register(call, signal);
    if (await hasEnded(call)) return;
    const shown = new Set((link.data as BitrixLinkData).shown ?? []);
    const parties = callParties(call, isExtension);
    const ringing = call.direction === 'inbound' || call.direction === 'internal' ? parties.ringingExtensions : [parties.primaryExtension ?? ''];
    await setCards(link, 'show', ringing.filter((e) => e !== '' && !shown.has(e)), signal);
  }

  async function onAnswered(call: CallRecord, signal: AbortSignal): Promise<void> {
    const link = await register(call, signal);
    const answering = callParties(call, isExtension).answeringExtension;
    const shown = (link.data as BitrixLinkData).shown ?? [];
    if (config.showCard === 'answer' && answering !== null && !shown.includes(answering) && !(await hasEnded(call))) {
      await setCards(link, 'show', [answering], signal);
    }
    if (config.showCard === 'ring') await setCards(link, 'hide', shown.filter((e) => e !== answering), signal);
  }

  async function onFinished(call: CallRecord, payload: Partial<DeliveryPayload>, signal: AbortSignal): Promise<void> {
    let link = await register(call, signal);
    const data = link.data as BitrixLinkData;
    const parties = callParties(call, isExtension);
    if (!data.finished) {
      const employee = parties.answeringExtension ?? parties.primaryExtension;
      // A click-to-call belongs to the employee who clicked; otherwise to whoever answered or rang.
      const user =
        (data.origin === 'click_to_call' ? data.user : undefined) ??
        (employee !== null ? userForExtension(config, employee) : null) ??
        data.user ??
        userForExtension(config, null);
      if (!user) throw permanent(`call ${call.id}: no employee to finish the Bitrix24 call for`);
      await setCards(link, 'hide', (data.shown ?? []).filter((e) => e !== employee), signal);
      const statusCode = payload.statusCode ?? statusCodeFor(call, config.statusCodes);
      const params: Record<string, unknown> = { CALL_ID: link.externalCallId, ...user, DURATION: durationSec(call), STATUS_CODE: statusCode };
      if (statusCode !== '200' && call.hangupCauseText) params.FAILED_REASON = call.hangupCauseText;
      if (!data.finishing) link = await save(call.id, null, { finishing: true });
      try {
        await client.call('telephony.externalCall.finish', params, signal);
      } catch (err) {
        // Our earlier finish went through but its answer was lost: Bitrix24 has closed the call.
        if (!(data.finishing && isCallNotFound(err))) throw err;
      }
      link = await save(call.id, null, { finished: { statusCode, durationSec: durationSec(call) } });
    }
    if (payload.recordingUrl && !data.recordAttached) {
      await client.call('telephony.externalCall.attachRecord', { CALL_ID: link.externalCallId, RECORD_URL: payload.recordingUrl }, signal);
      link = await save(call.id, null, { recordAttached: true });
    }
    for (const name of data.pendingMedia ?? []) {
      if (!(data.attachedMedia ?? []).includes(name)) link = await attachMedia(link, name, signal);
    }
    if (payload.transcript?.length && !data.transcriptAttached) {
      const messages = payload.transcript.map((m) => ({ SIDE: m.side === 'user' ? 'User' : 'Client', START_TIME: m.startSec, STOP_TIME: m.stopSec, MESSAGE: m.text }));
      await client.call('telephony.call.attachTranscription', { CALL_ID: link.externalCallId, MESSAGES: messages }, signal);
      await save(call.id, null, { transcriptAttached: true });
    }
  }

  /**
   * A recording or voicemail message of the call: attached to its Bitrix24 call through the upload form
   * (FILENAME + FILE_CONTENT). Bitrix24 takes a record for a finished call, so one that comes first waits in the
   * link for the finish (onFinished attaches it).
   */
  async function onMedia(call: CallRecord, payload: Partial<DeliveryPayload>, signal: AbortSignal): Promise<void> {
    const name = payload.recording?.id ?? payload.voicemail?.recordingId;
    if (!name) throw permanent(`call ${call.id}: the delivery names no recording`);
    const link = await register(call, signal);
    const data = link.data as BitrixLinkData;
    if ((data.attachedMedia ?? []).includes(name)) return;
    if (!data.finished) {
      if (!(data.pendingMedia ?? []).includes(name)) await save(call.id, null, { pendingMedia: [...(data.pendingMedia ?? []), name] });
      return;
    }
    await attachMedia(link, name, signal);
  }

  async function attachMedia(link: CrmLink, name: string, signal: AbortSignal): Promise<CrmLink> {
    if (!options.recordingAudio) throw permanent(`recording ${name}: this engine cannot fetch recordings`);
    const audio = await options.recordingAudio(name);
    // Not there (yet, or the PBX cannot be asked): tried again later; a recording deleted meanwhile ends as a dead letter after the retries.
    if (audio === null) throw crmRequestError(`recording ${name}: its audio could not be fetched from the PBX`, { target: sinkName }, { retryable: true });
    if (audio.length > MAX_RECORD_UPLOAD_BYTES) throw permanent(`recording ${name}: ${audio.length} bytes, more than Bitrix24 is sent in one request (${MAX_RECORD_UPLOAD_BYTES})`);
    await client.call(
      'telephony.externalCall.attachRecord',
      { CALL_ID: link.externalCallId, FILENAME: `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.wav`, FILE_CONTENT: audio.toString('base64') },
      signal,
    );
    const data = link.data as BitrixLinkData;
    return save(link.callId, null, { attachedMedia: [...(data.attachedMedia ?? []), name] });
  }

  return {
    name: sinkName,
    readyInMs: () => options.target.readyInMs(),
    async deliver(delivery, signal) {
      const call = callOf(delivery);
      switch (delivery.eventType) {
        case 'call.created':
          await register(call, signal);
          return;
        case RINGING_EVENT:
          return onRinging(call, signal);
        case 'call.answered':
          return onAnswered(call, signal);
        case 'call.finished':
          return onFinished(call, delivery.payload as Partial<DeliveryPayload>, signal);
        case 'call.recorded':
        case 'voicemail.left':
          return onMedia(call, delivery.payload as Partial<DeliveryPayload>, signal);
        default:
          throw permanent(`bitrix24 has nothing to do for ${delivery.eventType}`);
      }
    },
  };
}
