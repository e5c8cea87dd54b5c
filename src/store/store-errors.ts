import { AppError, ERROR_CODES, isAppError } from '../errors.ts';

// Driver failures become AppErrors: a database that cannot answer now (down, restarting, out of
// connections, a lost serialization race) is STORE_UNAVAILABLE and retryable; anything else is INTERNAL.

// SQLSTATE classes and codes worth retrying: connection exception, insufficient resources, operator
// intervention (shutdown, crash recovery), serialization failure, deadlock.
const RETRYABLE_SQLSTATE = /^(08|53|57P0[1-4]|40001|40P01)/;
const SQLSTATE = /^[0-9A-Z]{5}$/;
const CONNECTION_MESSAGE = /connection terminated|terminating connection|timeout exceeded when trying to connect|connection error|not queryable|ECONNREFUSED/i;

export function toStoreError(err: unknown, action: string): AppError {
  if (isAppError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const retryable =
    typeof code === 'string'
      ? SQLSTATE.test(code)
        ? RETRYABLE_SQLSTATE.test(code)
        : code.startsWith('E') // Node socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, ...
      : !(err instanceof TypeError || err instanceof RangeError) && CONNECTION_MESSAGE.test(message);
  return retryable
    ? new AppError(ERROR_CODES.STORE_UNAVAILABLE, `Database unavailable during ${action}: ${message}`, {
        retryable: true,
        cause: err,
      })
    : new AppError(ERROR_CODES.INTERNAL, `Database error during ${action}: ${message}`, { cause: err });
}

/** Runs `task`, converting what it throws with toStoreError. */
export async function guarded<T>(action: string, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    throw toStoreError(err, action);
  }
}
