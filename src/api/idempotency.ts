import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES } from '../errors.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { presentedKey } from './auth.ts';
import { requesterKey } from '../tenants/principal.ts';

// Idempotency keys for requests that change data (POST /api/events), after Stripe's convention: a request
// with an `Idempotency-Key` header is done once per key; the same key with the same body within 24 hours
// gets the first answer again, the same key with another body is refused (422), and a second request while
// the first still runs is refused (409). Keys are scoped to the API key that sent them, so two clients
// cannot see each other's answers. Kept in the database, so the promise holds across restarts and instances.

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;
/** How long a key's answer is given again. */
const KEEP = "interval '24 hours'";
/** A request that left no answer after this died with its process; its key may be used again. */
const ABANDONED = "interval '10 minutes'";
const CLEANUP_EVERY_MS = 60_000;

export interface StoredAnswer {
  statusCode: number;
  body: string;
}

export type Reservation = { kind: 'reserved'; principal: string; key: string } | { kind: 'replay'; answer: StoredAnswer };

export class IdempotencyKeys {
  private lastCleanupMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly sql: SqlClient) {}

  /** The request's key, validated; null when it sent none. */
  static keyOf(request: FastifyRequest): string | null {
    const value = request.headers[IDEMPOTENCY_HEADER];
    if (value === undefined) return null;
    if (typeof value !== 'string' || !KEY_FORMAT.test(value)) {
      throw new AppError(ERROR_CODES.REQUEST_INVALID, 'Idempotency-Key must be 1 to 255 printable ASCII characters');
    }
    return value;
  }

  /** Takes the key for this request, or gives the answer an earlier request with the same key and body got. */
  async reserve(request: FastifyRequest, key: string, body: unknown): Promise<Reservation> {
    await this.cleanup();
    const principal = principalOf(request);
    const hash = createHash('sha256').update(JSON.stringify(body) ?? '').digest('hex');
    const taken = await this.sql.query(
      `INSERT INTO api_idempotency (principal, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (principal, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, status_code = NULL, response = NULL, created_at = now(), completed_at = NULL
         WHERE api_idempotency.created_at < now() - ${KEEP}
            OR (api_idempotency.completed_at IS NULL AND api_idempotency.created_at < now() - ${ABANDONED})
       RETURNING 1`,
      [principal, key, hash],
    );
    if (taken.length > 0) return { kind: 'reserved', principal, key };
    const rows = await this.sql.query<{ request_hash: string; status_code: number | null; response: string | null }>(
      'SELECT request_hash, status_code, response FROM api_idempotency WHERE principal = $1 AND key = $2',
      [principal, key],
    );
    const earlier = rows[0];
    // Gone between the two statements (expired and cleaned up): a new request after all.
    if (earlier === undefined) return this.reserve(request, key, body);
    if (earlier.request_hash !== hash) {
      throw new AppError(ERROR_CODES.IDEMPOTENCY_KEY_REUSED, 'this Idempotency-Key was used with another request body');
    }
    if (earlier.status_code === null || earlier.response === null) {
      throw new AppError(ERROR_CODES.IDEMPOTENCY_IN_PROGRESS, 'a request with this Idempotency-Key is still being processed', { retryable: true });
    }
    return { kind: 'replay', answer: { statusCode: earlier.status_code, body: earlier.response } };
  }

  async complete(reservation: Extract<Reservation, { kind: 'reserved' }>, answer: StoredAnswer): Promise<void> {
    await this.sql.query(
      'UPDATE api_idempotency SET status_code = $3, response = $4, completed_at = now() WHERE principal = $1 AND key = $2',
      [reservation.principal, reservation.key, answer.statusCode, answer.body],
    );
  }

  /** The request failed before changing anything: its key may be used again at once. */
  async release(reservation: Extract<Reservation, { kind: 'reserved' }>): Promise<void> {
    await this.sql.query('DELETE FROM api_idempotency WHERE principal = $1 AND key = $2 AND completed_at IS NULL', [reservation.principal, reservation.key]);
  }

  private async cleanup(): Promise<void> {
    const now = performance.now();
    if (now - this.lastCleanupMs < CLEANUP_EVERY_MS) return;
    this.lastCleanupMs = now;
    await this.sql.query(`DELETE FROM api_idempotency WHERE created_at < now() - ${KEEP}`);
  }
}

/** Whose keys these are: the principal (a key's position or id, a user's id), or a digest of an unchecked key. */
function principalOf(request: FastifyRequest): string {
  const named = request.principal === null ? null : requesterKey(request.principal);
  if (named !== null) return named;
  const key = presentedKey(request);
  return key === null ? 'open' : createHash('sha256').update(key).digest('hex').slice(0, 32);
}
