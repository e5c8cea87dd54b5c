import { randomBytes } from 'node:crypto';
import { AppError, ERROR_CODES } from '../errors.ts';
import { toStoreError } from '../store/store-errors.ts';

// What the tenant repositories share: ids, time conversion, and turning constraint violations into the
// codes a caller can act on. The embedded database reports only the SQLSTATE and message (no constraint
// name), so each write says what a unique violation means for it instead of guessing from the constraint.

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `prefix` + 16 base32 characters (80 random bits): opaque, URL-safe, and not guessable from another id. */
export function newId(prefix: string): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = prefix;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

export function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : iso(value);
}

/** A jsonb parameter: JSON text, or SQL NULL for undefined/null. */
export function jsonParam(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export interface ViolationMeanings {
  /** Unique violation (23505). */
  conflict?: { message: string; field: string };
  /** Foreign key violation (23503): what the write referred to that does not exist. */
  missing?: { message: string; field: string };
}

/**
 * Runs one write; a unique violation becomes CF_CONFLICT, a missing referenced row CF_NOT_FOUND, a check
 * violation CF_REQUEST_INVALID, and anything else what the store reports for database failures.
 */
export async function writing<T>(action: string, meanings: ViolationMeanings, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    throw violationError(err, action, meanings);
  }
}

export function violationError(err: unknown, action: string, meanings: ViolationMeanings): AppError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '23505' && meanings.conflict) {
    return new AppError(ERROR_CODES.CONFLICT, meanings.conflict.message, { cause: err, details: [{ field: meanings.conflict.field }] });
  }
  if (code === '23503' && meanings.missing) {
    return new AppError(ERROR_CODES.NOT_FOUND, meanings.missing.message, { cause: err, details: [{ field: meanings.missing.field }] });
  }
  if (code === '23514' || code === '23502' || code === '22P02') {
    return new AppError(ERROR_CODES.REQUEST_INVALID, `${action}: a value is not allowed (${constraintOf(err)})`, { cause: err });
  }
  return toStoreError(err, action);
}

/** The constraint a violation message names, for a hint that carries no data. */
function constraintOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /constraint "([^"]+)"/.exec(message)?.[1] ?? 'constraint';
}

export function invalid(message: string, field: string): AppError {
  return new AppError(ERROR_CODES.REQUEST_INVALID, message, { details: [{ field }] });
}

/** Page sizes: at least 1, at most `max`. */
export function clampLimit(limit: number, max: number): number {
  return Number.isFinite(limit) ? Math.min(Math.max(Math.trunc(limit), 1), max) : max;
}
