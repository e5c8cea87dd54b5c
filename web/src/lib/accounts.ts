// Pure helpers of the account pages (no DOM, so the engine's tests can import them).

/** The parts of an API error the wording depends on (client.ts ApiError). */
export interface ApiErrorLike {
  status: number;
  code: string;
  message: string;
  retryAfterSec?: number | null;
}

function isApiError(error: unknown): error is ApiErrorLike {
  return error instanceof Error && typeof (error as Partial<ApiErrorLike>).status === 'number' && typeof (error as Partial<ApiErrorLike>).code === 'string';
}

/**
 * What a refused login (or password change) says: wrong credentials, too many tries with the wait, a
 * suspended tenant. Nothing tells which of e-mail or password was wrong; the engine does not say either.
 */
export function loginErrorText(error: unknown): string {
  if (isApiError(error)) {
    if (error.code === 'CF_LOGIN_FAILED') {
      return error.message === 'the current password is not right' ? 'The current password is not right.' : 'E-mail or password not recognised.';
    }
    if (error.status === 429) {
      const wait = error.retryAfterSec ?? Number(/retry in (\d+)/.exec(error.message)?.[1] ?? Number.NaN);
      return Number.isFinite(wait) ? `Too many failed attempts. Try again in ${wait} s.` : 'Too many failed attempts. Try again later.';
    }
    if (error.code === 'CF_TENANT_SUSPENDED') return 'This account’s tenant is suspended.';
    return `${error.message} (${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** "201, 202 203" → ["201", "202", "203"]: extensions typed as a list separated by commas or spaces. */
export function parseList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
