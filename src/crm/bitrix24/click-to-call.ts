import type { Logger } from '../../app/logger.ts';
import type { CallRecord } from '../../domain/call.ts';
import { DEFAULT_TENANT } from '../../domain/tenant.ts';
import { AppError, ERROR_CODES, isAppError } from '../../errors.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import { BITRIX_SINK, type Bitrix24Config, type BitrixStatusCode } from '../config.ts';
import { findCrmLinkByExternalId, insertCrmLinkIfAbsent, saveCrmLink } from '../links.ts';
import { idempotencyKey, type DeliveryPayload } from '../plan.ts';
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
  /** Dialplan context the employee's extension is rung in (the portal's bitrix24.originateContext). */
  context: string;
  /** The ARI server to place it on (bitrix24.originateServer); absent: the first configured. */
  server?: string;
}

export type Originate = (params: OriginateParams) => Promise<{ channelId: string }>;

export interface ClickToCallDeps {
  sql: SqlClient;
  config: Bitrix24Config;
  /** Absent when no PBX is configured: every click-to-call is then finished as failed at once. */
  originate: Originate | undefined;
  logger: Logger;
  now?: () => Date;
  /** Called when a delivery was queued (the worker's wake). */
  wake?: () => void;
  /** The Bitrix24 sink of the portal the event came from (a tenant's is qualified, tenant-sinks.ts). */
  sink?: string;
  /** The tenant whose portal it is: a call that could not be placed is filed under it. */
  tenantId?: string;
}

/**
 * One channel id per Bitrix24 call: a repeated event finds the call already placed. Another tenant's portal
 * may use the same CALL_ID, so a tenant's ids carry its own.
 */
export function clickToCallChannelId(bitrixCallId: string, tenantId: string = DEFAULT_TENANT): string {
  const tenant = tenantId === DEFAULT_TENANT ? '' : `${tenantId}-`;
  return `bx-${tenant}${bitrixCallId}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
}

/** Why a click-to-call was not placed: the STATUS_CODE and FAILED_REASON its finish carries, and our error. */
interface NotPlaced {
  statusCode: BitrixStatusCode;
  reason: string;
  error: AppError;
}

function noExtension(userId: number): NotPlaced {
  const reason = `Bitrix24 user ${userId} has no extension in bitrix24.userMap`;
  return { statusCode: 'OTHER', reason, error: new AppError(ERROR_CODES.REQUEST_INVALID, reason) };
}

function noPbx(): NotPlaced {
  const reason = 'no PBX connection is configured for click-to-call';
  return { statusCode: '503', reason, error: new AppError(ERROR_CODES.ARI_UNAVAILABLE, `click-to-call needs a PBX connection: ${reason}`, { retryable: true }) };
}

/** A PBX that could not be reached (or did not answer) is 503 "direction unavailable"; a refusal is OTHER. */
function originateFailed(cause: unknown): NotPlaced {
  const details = (isAppError(cause) ? cause.details : null) as { status?: number | null; ariMessage?: string | null } | null;
  const status = details?.status ?? null;
  const unreachable = status === null ? !isAppError(cause) || cause.retryable || cause.code === ERROR_CODES.ARI_UNAVAILABLE : status >= 500;
  const answer = [status, details?.ariMessage].filter((part) => part !== null && part !== undefined && part !== '').join(' ');
  const reason = status !== null ? `the PBX refused the call (${answer})` : unreachable ? 'the PBX could not be reached' : 'the PBX did not place the call';
  return {
    statusCode: unreachable ? '503' : 'OTHER',
    reason,
    error: new AppError(ERROR_CODES.ARI_UNAVAILABLE, `the PBX did not place the call: ${reason}`, { retryable: true, cause }),
  };
}

export async function startClickToCall(deps: ClickToCallDeps, start: ExternalCallStart): Promise<{ channelId: string; duplicate: boolean }> {
  const extension = extensionOfUser(deps.config, start.userId);
  const sink = deps.sink ?? BITRIX_SINK;
  const channelId = clickToCallChannelId(start.bitrixCallId, deps.tenantId);
  const data: BitrixLinkData = { origin: 'click_to_call', user: { USER_ID: start.userId }, shown: [] };
  const fresh = await insertCrmLinkIfAbsent(deps.sql, { callId: channelId, sink, externalCallId: start.bitrixCallId, data: { ...data } });
  if (!fresh) {
    const existing = await findCrmLinkByExternalId(deps.sql, sink, start.bitrixCallId);
    return { channelId: existing?.callId ?? channelId, duplicate: true };
  }
  // Bitrix24 shows the call as in progress until it is finished: whatever stops it from being placed,
  // the call it gave us is finished as failed, durably, with the reason.
  if (extension === null) return failed(deps, channelId, start, noExtension(start.userId));
  if (!deps.originate) return failed(deps, channelId, start, noPbx());
  try {
    const placed = await deps.originate({
      channelId,
      employeeExtension: extension,
      clientNumber: start.phoneNumber,
      clientNumberInternational: start.phoneNumberInternational,
      lineNumber: start.lineNumber,
      bitrixCallId: start.bitrixCallId,
      context: deps.config.originateContext,
      ...(deps.config.originateServer === undefined ? {} : { server: deps.config.originateServer }),
    });
    if (placed.channelId !== channelId) {
      await saveCrmLink(deps.sql, { callId: placed.channelId, sink, externalCallId: start.bitrixCallId, data: { ...data } });
    }
    return { channelId: placed.channelId, duplicate: false };
  } catch (cause) {
    return failed(deps, channelId, start, originateFailed(cause));
  }
}

async function failed(deps: ClickToCallDeps, channelId: string, start: ExternalCallStart, why: NotPlaced): Promise<never> {
  deps.logger.error({ bitrixCallId: start.bitrixCallId, statusCode: why.statusCode, reason: why.reason }, 'click-to-call could not be placed; its Bitrix24 call is finished as failed');
  await queueFailedFinish(deps, channelId, start, why);
  throw why.error;
}

async function queueFailedFinish(deps: ClickToCallDeps, channelId: string, start: ExternalCallStart, why: NotPlaced): Promise<void> {
  const at = (deps.now?.() ?? new Date()).toISOString();
  const call: CallRecord = {
    id: channelId,
    server: '',
    // Never placed, so no channel founded it: it is the tenant's whose portal asked for it.
    tenantId: deps.tenantId ?? DEFAULT_TENANT,
    status: 'finished',
    disposition: 'failed',
    direction: 'outbound',
    from: extensionOfUser(deps.config, start.userId) ?? '',
    to: start.phoneNumber,
    startedAt: at,
    answeredAt: null,
    answerEstimated: false,
    endedAt: at,
    durationMs: 0,
    talkMs: 0,
    hangupCause: null,
    hangupCauseText: why.reason,
    closedBy: null,
    endEstimated: false,
    backfilled: false,
    route: null,
    legs: [],
    eventCount: 0,
    updatedAt: at,
  };
  const payload: DeliveryPayload = { call, statusCode: why.statusCode };
  const sink = deps.sink ?? BITRIX_SINK;
  const key = idempotencyKey(sink, channelId, 'call.finished');
  await deps.sql.query(
    `INSERT INTO outbox (sink, call_id, event_type, idempotency_key, payload) VALUES ($1, $2, 'call.finished', $3, $4::jsonb)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [sink, channelId, key, JSON.stringify(payload)],
  );
  deps.wake?.();
}
