import type { SqlClient } from '../store/sql-client.ts';
import { guarded } from '../store/store-errors.ts';
import { ACTOR_KINDS, type AuditActor, type AuditEntry, type NewAuditEntry } from './model.ts';
import { clampLimit, iso, invalid, jsonParam } from './repo-support.ts';

// The audit trail: who changed what, in which tenant. Rows are only ever appended.

export const MAX_AUDIT_PAGE = 500;

export interface AuditQuery {
  /** A tenant's entries; null: platform-wide entries only; 'all': every entry. */
  tenantId: string | null | 'all';
  /** Entries with an id below this one (the last id of the previous page). */
  before?: number;
  limit: number;
}

interface AuditRow {
  id: number;
  tenant_id: string | null;
  at: Date;
  actor: AuditActor;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: unknown;
  after: unknown;
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    at: iso(row.at),
    actor: row.actor,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    before: row.before,
    after: row.after,
  };
}

/** Appends one entry through `db`; pass the transaction of the change it records so both commit or neither. */
export async function appendAudit(db: SqlClient, entry: NewAuditEntry): Promise<number> {
  if (!ACTOR_KINDS.includes(entry.actor.kind)) throw invalid('unknown actor kind', 'actor.kind');
  if (entry.action.length === 0) throw invalid('an audit entry names its action', 'action');
  const actor: AuditActor = { kind: entry.actor.kind, id: entry.actor.id, name: entry.actor.name };
  const [row] = await guarded('appendAudit', () =>
    db.query<{ id: number }>(
      `INSERT INTO audit_log (tenant_id, actor, action, target_type, target_id, before, after)
       VALUES ($1, $2::jsonb, $3, $4, $5, $6::jsonb, $7::jsonb) RETURNING id`,
      [entry.tenantId, jsonParam(actor), entry.action, entry.targetType, entry.targetId, jsonParam(entry.before), jsonParam(entry.after)],
    ),
  );
  return row!.id;
}

/** Newest first. */
export async function listAudit(db: SqlClient, query: AuditQuery): Promise<AuditEntry[]> {
  const limit = clampLimit(query.limit, MAX_AUDIT_PAGE);
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (query.tenantId === null) conditions.push('tenant_id IS NULL');
  else if (query.tenantId !== 'all') {
    params.push(query.tenantId);
    conditions.push(`tenant_id = $${params.length}`);
  }
  if (query.before !== undefined) {
    params.push(query.before);
    conditions.push(`id < $${params.length}::bigint`);
  }
  params.push(limit);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const rows = await guarded('listAudit', () =>
    db.query<AuditRow>(
      `SELECT id, tenant_id, at, actor, action, target_type, target_id, before, after
       FROM audit_log ${where} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    ),
  );
  return rows.map(toEntry);
}
