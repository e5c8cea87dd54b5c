import { AppError, ERROR_CODES } from '../../errors.ts';
import { crmRequestError } from '../errors.ts';
import { postRequest, type HttpAnswer } from '../flow/http.ts';
import type { Target } from '../flow/target.ts';
import type { BitrixAuth } from './auth.ts';

// Calls Bitrix24 REST methods through the target's limiter and breaker, and handles the portal's
// flow-control answers in place: QUERY_LIMIT_EXCEEDED / OVERLOAD_LIMIT (503) and
// OPERATION_TIME_LIMIT (429) pause the whole target and try again; expired_token refreshes once.

export interface BitrixClient {
  call<T = unknown>(method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T>;
}

export interface BitrixClientOptions {
  target: Target;
  auth: BitrixAuth;
  /** Flow-control answers tolerated within one call before it fails (and the outbox backs off). */
  maxLimitRetries?: number;
  /** First pause after OPERATION_TIME_LIMIT or OVERLOAD_LIMIT; doubles on each repeat. */
  limitPauseMs?: number;
  maxPauseMs?: number;
}

const QUERY_LIMIT = 'QUERY_LIMIT_EXCEEDED';
const FLOW_CONTROL = new Set([QUERY_LIMIT, 'OPERATION_TIME_LIMIT', 'OVERLOAD_LIMIT']);
/** The portal refuses our credentials or rights: retried (an operator can fix it) but never trips the breaker. */
const AUTH_ERRORS = new Set(['expired_token', 'invalid_token', 'NO_AUTH_FOUND', 'insufficient_scope', 'ACCESS_DENIED', 'WRONG_AUTH_TYPE', 'INVALID_CREDENTIALS', 'authorization_error']);

interface BitrixAnswer {
  result?: unknown;
  error?: unknown;
  error_description?: unknown;
}

function parse(text: string): BitrixAnswer | null {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as BitrixAnswer) : null;
  } catch {
    return null;
  }
}

export class BitrixError extends AppError {
  constructor(
    readonly method: string,
    readonly remoteCode: string,
    readonly description: string,
    status: number,
    retryable: boolean,
  ) {
    super(
      AUTH_ERRORS.has(remoteCode) ? ERROR_CODES.CRM_AUTH_FAILED : ERROR_CODES.CRM_REQUEST_FAILED,
      `bitrix24 ${method}: ${remoteCode}${description ? ` (${description})` : ''}`,
      { retryable, details: { target: 'bitrix24', status, remoteCode } },
    );
  }
}

export function createBitrixClient(options: BitrixClientOptions): BitrixClient {
  const { target, auth } = options;
  const maxLimitRetries = options.maxLimitRetries ?? 4;
  const limitPauseMs = options.limitPauseMs ?? 10_000;
  const maxPauseMs = options.maxPauseMs ?? 300_000;

  const pauseFor = (code: string, hits: number): number => {
    const first = code === QUERY_LIMIT ? 1000 / target.limit.perSecond : limitPauseMs;
    return Math.min(maxPauseMs, first * 2 ** (hits - 1));
  };

  async function send(url: string, body: string, signal: AbortSignal): Promise<{ answer: HttpAnswer; parsed: BitrixAnswer | null }> {
    const answer = await postRequest(target.name, url, body, { 'content-type': 'application/json', accept: 'application/json' }, signal);
    const parsed = parse(answer.text);
    const code = typeof parsed?.error === 'string' ? parsed.error : '';
    // A portal that is down (5xx that is not flow control, or garbage) counts against the breaker.
    if ((answer.status >= 500 && !FLOW_CONTROL.has(code)) || (parsed === null && answer.status !== 200)) {
      throw crmRequestError(`${target.name}: answered ${answer.status}`, { target: target.name, status: answer.status, remoteCode: code || undefined, targetDown: true }, { retryable: true });
    }
    return { answer, parsed };
  }

  return {
    async call<T>(method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
      let limitHits = 0;
      let refreshed = false;
      for (;;) {
        const { url, authParams, token } = await auth.prepare(method);
        const body = JSON.stringify({ ...params, ...authParams });
        const { answer, parsed } = await target.run((s) => send(url, body, s), signal);
        const code = typeof parsed?.error === 'string' ? parsed.error : '';
        if (answer.status < 300 && parsed && code === '' && 'result' in parsed) return parsed.result as T;
        const description = typeof parsed?.error_description === 'string' ? parsed.error_description : '';
        if (FLOW_CONTROL.has(code)) {
          limitHits += 1;
          await target.pause(pauseFor(code, limitHits));
          if (limitHits > maxLimitRetries) {
            throw new AppError(ERROR_CODES.CRM_RATE_LIMITED, `bitrix24 ${method}: still ${code} after ${limitHits} tries`, {
              retryable: true,
              details: { target: target.name, status: answer.status, remoteCode: code },
            });
          }
          continue;
        }
        if (code === 'expired_token' && auth.kind === 'oauth' && !refreshed) {
          refreshed = true;
          await auth.refresh(token);
          continue;
        }
        // Auth problems are retried until the delivery's maximum age (an operator can fix them);
        // any other refusal of the request itself would be refused again.
        throw new BitrixError(method, code || `HTTP_${answer.status}`, description, answer.status, AUTH_ERRORS.has(code) || code === '');
      }
    },
  };
}
