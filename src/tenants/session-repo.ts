import type { SqlClient } from '../store/sql-client.ts';
import { guarded } from '../store/store-errors.ts';
import type { SessionInfo, User } from './model.ts';
import { iso, writing } from './repo-support.ts';
import { USER_COLUMNS, toUser, type UserRow } from './user-repo.ts';

// Login sessions, keyed by the sha256 of their token (tokens.ts): a leaked table holds no usable cookie.

export interface NewSession {
  tokenHash: string;
  userId: string;
  tenantId: string | null;
  csrfToken: string;
  expiresAt: Date | string;
}

interface SessionRow {
  id_hash: string;
  user_id: string;
  tenant_id: string | null;
  csrf_token: string;
  created_at: Date;
  expires_at: Date;
  last_seen_at: Date;
}

const SESSION_COLUMNS = 'id_hash, user_id, tenant_id, csrf_token, created_at, expires_at, last_seen_at';
const USER_SELECT = USER_COLUMNS.split(', ')
  .map((column) => `u.${column} AS u_${column}`)
  .join(', ');

function toSession(row: SessionRow): SessionInfo {
  return {
    tokenHash: row.id_hash,
    userId: row.user_id,
    tenantId: row.tenant_id,
    csrfToken: row.csrf_token,
    createdAt: iso(row.created_at),
    expiresAt: iso(row.expires_at),
    lastSeenAt: iso(row.last_seen_at),
  };
}

export async function createSession(db: SqlClient, input: NewSession): Promise<SessionInfo> {
  const [row] = await writing(
    'createSession',
    { conflict: { message: 'session token already in use', field: 'tokenHash' }, missing: { message: 'no such user or tenant', field: 'userId' } },
    () =>
      db.query<SessionRow>(
        `INSERT INTO user_sessions (id_hash, user_id, tenant_id, csrf_token, expires_at)
         VALUES ($1, $2, $3, $4, $5::timestamptz)
         RETURNING ${SESSION_COLUMNS}`,
        [input.tokenHash, input.userId, input.tenantId, input.csrfToken, iso(input.expiresAt)],
      ),
  );
  return toSession(row!);
}

/**
 * The live session and its user; null when unknown, expired at `now`, or its user is disabled. A suspended
 * tenant's sessions are still found: the caller refuses them with CF_TENANT_SUSPENDED, which says more than 401.
 */
export async function getSession(db: SqlClient, tokenHash: string, now: Date): Promise<{ session: SessionInfo; user: User } | null> {
  const [row] = await guarded('getSession', () =>
    db.query<SessionRow & Record<string, unknown>>(
      `SELECT s.id_hash, s.user_id, s.tenant_id, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at, ${USER_SELECT}
       FROM user_sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id_hash = $1 AND s.expires_at > $2::timestamptz AND u.status = 'active'`,
      [tokenHash, now.toISOString()],
    ),
  );
  return row ? { session: toSession(row), user: toUser(row as unknown as UserRow, 'u_') } : null;
}

/** Records activity and slides the expiry; false when the session is gone or already expired. */
export async function touchSession(db: SqlClient, tokenHash: string, now: Date, newExpiresAt: Date): Promise<boolean> {
  const rows = await guarded('touchSession', () =>
    db.query(
      `UPDATE user_sessions SET last_seen_at = $2::timestamptz, expires_at = $3::timestamptz
       WHERE id_hash = $1 AND expires_at > $2::timestamptz RETURNING id_hash`,
      [tokenHash, now.toISOString(), newExpiresAt.toISOString()],
    ),
  );
  return rows.length > 0;
}

/** Switches the tenant an operator's session acts in (null: none). */
export async function setSessionTenant(db: SqlClient, tokenHash: string, tenantId: string | null): Promise<boolean> {
  const rows = await writing('setSessionTenant', { missing: { message: 'no such tenant', field: 'tenantId' } }, () =>
    db.query('UPDATE user_sessions SET tenant_id = $2 WHERE id_hash = $1 RETURNING id_hash', [tokenHash, tenantId]),
  );
  return rows.length > 0;
}

export async function deleteSession(db: SqlClient, tokenHash: string): Promise<boolean> {
  const rows = await guarded('deleteSession', () => db.query('DELETE FROM user_sessions WHERE id_hash = $1 RETURNING id_hash', [tokenHash]));
  return rows.length > 0;
}

/** Ends the user's sessions but the one given (after a password change, the one that changed it); returns how many. */
export async function deleteUserSessions(db: SqlClient, userId: string, exceptTokenHash?: string): Promise<number> {
  const rows = await guarded('deleteUserSessions', () =>
    db.query('DELETE FROM user_sessions WHERE user_id = $1 AND id_hash IS DISTINCT FROM $2 RETURNING id_hash', [userId, exceptTokenHash ?? null]),
  );
  return rows.length;
}

export async function purgeExpiredSessions(db: SqlClient, now: Date): Promise<number> {
  const [row] = await guarded('purgeExpiredSessions', () =>
    db.query<{ n: number }>(
      'WITH gone AS (DELETE FROM user_sessions WHERE expires_at <= $1::timestamptz RETURNING 1) SELECT count(*)::int AS n FROM gone',
      [now.toISOString()],
    ),
  );
  return row?.n ?? 0;
}
