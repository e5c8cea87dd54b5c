import { textArrayLiteral } from '../store/array-literal.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { guarded } from '../store/store-errors.ts';
import { isTenantRole, type ApiKeyInfo, type TenantRole } from './model.ts';
import { iso, isoOrNull, invalid, newId, writing } from './repo-support.ts';

// Tenant API keys, stored by the sha256 of the key (tokens.ts). Revoked keys stay listed, with when.

export interface NewApiKey {
  tenantId: string;
  name: string;
  role: TenantRole;
  keyHash: string;
  prefix: string;
  /** Who created it: a user id, or a platform key's name. */
  createdBy: string | null;
}

interface KeyRow {
  id: string;
  tenant_id: string;
  name: string;
  role: TenantRole;
  prefix: string;
  created_at: Date;
  created_by: string | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const KEY_COLUMNS = 'id, tenant_id, name, role, prefix, created_at, created_by, last_used_at, revoked_at';

function toKey(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: iso(row.created_at),
    createdBy: row.created_by,
    lastUsedAt: isoOrNull(row.last_used_at),
    revokedAt: isoOrNull(row.revoked_at),
  };
}

export async function createApiKey(db: SqlClient, input: NewApiKey): Promise<ApiKeyInfo> {
  if (input.name.trim().length === 0 || input.name.length > 200) throw invalid('a key name has 1 to 200 characters', 'name');
  if (!isTenantRole(input.role)) throw invalid('a tenant key has a tenant role', 'role');
  const [row] = await writing(
    'createApiKey',
    { conflict: { message: 'key hash already stored', field: 'keyHash' }, missing: { message: 'no such tenant', field: 'tenantId' } },
    () =>
      db.query<KeyRow>(
        `INSERT INTO api_keys (id, tenant_id, name, role, key_hash, prefix, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING ${KEY_COLUMNS}`,
        [newId('k_'), input.tenantId, input.name.trim(), input.role, input.keyHash, input.prefix, input.createdBy],
      ),
  );
  return toKey(row!);
}

/** The key with this hash, revoked or not: the caller refuses revoked keys (and may say so in its log). */
export async function findApiKey(db: SqlClient, keyHash: string): Promise<ApiKeyInfo | null> {
  const [row] = await guarded('findApiKey', () => db.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_hash = $1`, [keyHash]));
  return row ? toKey(row) : null;
}

export async function listApiKeys(db: SqlClient, tenantId: string): Promise<ApiKeyInfo[]> {
  const rows = await guarded('listApiKeys', () =>
    db.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]),
  );
  return rows.map(toKey);
}

/**
 * Revokes the tenant's key `id`. False when the tenant has no such key (another tenant's key id included);
 * revoking a revoked key again is true and keeps the first revocation time.
 */
export async function revokeApiKey(db: SqlClient, tenantId: string, id: string): Promise<boolean> {
  const rows = await guarded('revokeApiKey', () =>
    db.query('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]),
  );
  return rows.length > 0;
}

/**
 * Records last-used times for many keys in one statement. A time older than the one stored is ignored, so
 * batches flushed out of order never move a key's last use backwards. Returns how many keys were updated.
 */
export async function touchApiKeys(db: SqlClient, lastUsed: ReadonlyMap<string, Date | string>): Promise<number> {
  if (lastUsed.size === 0) return 0;
  const ids: string[] = [];
  const times: string[] = [];
  for (const [id, at] of lastUsed) {
    ids.push(id);
    times.push(iso(at));
  }
  const rows = await guarded('touchApiKeys', () =>
    db.query(
      `UPDATE api_keys k SET last_used_at = GREATEST(k.last_used_at, v.at)
       FROM unnest($1::text[], $2::timestamptz[]) AS v (id, at)
       WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.at)
       RETURNING k.id`,
      [textArrayLiteral(ids), textArrayLiteral(times)],
    ),
  );
  return rows.length;
}
