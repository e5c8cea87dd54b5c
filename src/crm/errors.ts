import { AppError, ERROR_CODES, isAppError } from '../errors.ts';

// What a failed delivery step says about its target, so the outbox and the breaker can react:
// a target that is down opens the breaker; a rate-limit answer pauses the limiter; a permanent
// refusal goes straight to the dead letters.

export interface CrmErrorDetails {
  target: string;
  /** HTTP status the target answered, if it answered. */
  status?: number;
  /** The target's own error code (`QUERY_LIMIT_EXCEEDED`, `expired_token`, ...). */
  remoteCode?: string;
  /** No answer, a timeout or a 5xx: counts against the target's circuit breaker. */
  targetDown?: boolean;
  /** The breaker refused the request without sending it. */
  circuitOpen?: boolean;
}

export function crmRequestError(message: string, details: CrmErrorDetails, options: { retryable: boolean; cause?: unknown }): AppError {
  return new AppError(ERROR_CODES.CRM_REQUEST_FAILED, message, { ...options, details });
}

export function crmDetails(err: unknown): CrmErrorDetails | null {
  if (!isAppError(err) || typeof err.details !== 'object' || err.details === null) return null;
  return 'target' in err.details ? (err.details as CrmErrorDetails) : null;
}

export const isTargetDown = (err: unknown): boolean => crmDetails(err)?.targetDown === true;
export const isCircuitOpen = (err: unknown): boolean => crmDetails(err)?.circuitOpen === true;

/** Unknown errors (bugs, network surprises) are retried: giving up is for answers that cannot change. */
export function isRetryable(err: unknown): boolean {
  return isAppError(err) ? err.retryable : true;
}

/** Short, secret-free text for the outbox's last_error. */
export function describeError(err: unknown): string {
  if (isAppError(err)) {
    const d = crmDetails(err);
    const parts = [err.code, err.message];
    if (d?.status !== undefined) parts.push(`status ${d.status}`);
    return parts.join(': ').slice(0, 1000);
  }
  return (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000);
}
