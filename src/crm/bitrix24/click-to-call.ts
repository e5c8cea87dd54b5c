import type { Logger } from '../../app/logger.ts';
import type { CallRecord } from '../../domain/call.ts';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import { BITRIX_SINK, type Bitrix24Config } from '../config.ts';
import { findCrmLinkByExternalId, insertCrmLinkIfAbsent, saveCrmLink } from '../links.ts';
import { idempotencyKey } from '../plan.ts';
import type { ExternalCallStart } from './event-parse.ts';
import type { BitrixLinkData } from './sink.ts';
import { extensionOfUser } from './users.ts';

// Click-to-call: Bitrix24 has already registered the call and tells us to place it. We ring the
// employee's extension first, then the client, and file our call under Bitrix24's CALL_ID so only
// `finish` is sent for it (the link is stored before originating, under the channel id we choose).

export interface OriginateParams {
  /** Channel id for the employee's leg (ARI `channelId`), chosen here so the call can be matched at once. */
  channelId: string;
  employeeExtension: string;
  /** The client's number as the employee clicked it. */
  clientNumber: string;
  clientNumberInternational: string | null;
  lineNumber: string | null;
  /** Bitrix24's CALL_ID (e.g. to set as a channel variable). */
  bitrixCallId: string;
}

export type Originate = (params: OriginateParams) => Promise<{ channelId: string }>;

export interface ClickToCallDeps {
  sql: SqlClient;
  config: Bitrix24Config;
  originate: Originate;
  logger: Logger;
  now?: () => Date;
  /** Called when a delivery was queued (the worker's wake). */
  wake?: () => void;
}

/** One channel id per Bitrix24 call: a repeated event finds the call already placed. */
export function clickToCallChannelId(bitrixCallId: string): string {
  return `bx-${bitrixCallId.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 120);
}

export async function startClickToCall(deps: ClickToCallDeps, start: ExternalCallStart): Promise<{ channelId: string; duplicate: boolean }> {
  const extension = extensionOfUser(deps.config, start.userId);
  if (extension === null) {
    throw new AppError(ERROR_CODES.REQUEST_INVALID, `Bitrix24 user ${start.userId} has no extension in bitrix24.userMap`, {
      details: { userId: start.userId },
    });
  }
  const channelId = clickToCallChannelId(start.bitrixCallId);
  const data: BitrixLinkData = { origin: 'click_to_call', user: { USER_ID: start.userId }, shown: [] };
  const fresh = await insertCrmLinkIfAbsent(deps.sql, { callId: channelId, sink: BITRIX_SINK, externalCallId: start.bitrixCallId, data: { ...data } });
  if (!fresh) {
    const existing = await findCrmLinkByExternalId(deps.sql, BITRIX_SINK, start.bitrixCallId);
    return { channelId: existing?.callId ?? channelId, duplicate: true };
  }
  try {
    const placed = await deps.originate({
      channelId,
      employeeExtension: extension,
      clientNumber: start.phoneNumber,
      clientNumberInternational: start.phoneNumberInternational,
      lineNumber: start.lineNumber,
      bitrixCallId: start.bitrixCallId,
    });
    if (placed.channelId !== channelId) {
      await saveCrmLink(deps.sql, { callId: placed.channelId, sink: BITRIX_SINK, externalCallId: start.bitrixCallId, data: { ...data } });
    }
    return { channelId: placed.channelId, duplicate: false };
  } catch (cause) {
    deps.logger.error({ bitrixCallId: start.bitrixCallId, err: (cause as Error).message }, 'click-to-call could not be placed');
    // Bitrix24 shows the call as in progress until it is finished: finish it as failed, durably.
    await queueFailedFinish(deps, channelId, extension, start);
    throw new AppError(ERROR_CODES.ARI_UNAVAILABLE, 'the PBX did not place the call', { retryable: true, cause });
  }
}

async function queueFailedFinish(deps: ClickToCallDeps, channelId: string, extension: string, start: ExternalCallStart): Promise<void> {
  const at = (deps.now?.() ?? new Date()).toISOString();
  const call: CallRecord = {
    id: channelId,
    server: '',
    status: 'finished',
    disposition: 'failed',
    direction: 'outbound',
    from: extension,
    to: start.phoneNumber,
    startedAt: at,
    answeredAt: null,
    endedAt: at,
    durationMs: 0,
    talkMs: 0,
    hangupCause: null,
    hangupCauseText: 'The PBX did not place the call',
    closedBy: null,
    endEstimated: false,
    legs: [],
    eventCount: 0,
    updatedAt: at,
  };
  const key = idempotencyKey(BITRIX_SINK, channelId, 'call.finished');
  await deps.sql.query(
    `INSERT INTO outbox (sink, call_id, event_type, idempotency_key, payload) VALUES ($1, $2, 'call.finished', $3, $4::jsonb)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [BITRIX_SINK, channelId, key, JSON.stringify({ call })],
  );
  deps.wake?.();
}
