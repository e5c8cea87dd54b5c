import { AppError, ERROR_CODES } from '../errors.ts';
import type { OutboxInsert } from '../store/types.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { OUTBOX_COLUMNS, toIso, type DeliveryStatus, type OutboxRow } from './outbox-sql.ts';

// Operators' view of the outbox: list and inspect deliveries, send a dead one again, replay a call. Each takes
// the tenant it acts in (null: every tenant, an operator's view): a delivery belongs to its call's tenant, and
// another tenant's delivery is not there for it.

export interface DeliveryView {
  id: number;
  sink: string;
  callId: string;
  eventType: string;
  idempotencyKey: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  lockedUntil: string | null;
  payload?: unknown;
}

/** The tenant of a call (null: no such call). */
export async function callTenant(sql: SqlClient, callId: string): Promise<string | null> {
  const rows = await sql.query<{ tenant_id: string }>('SELECT tenant_id FROM calls WHERE id = $1', [callId]);
  return rows[0]?.tenant_id ?? null;
}

export function toView(row: OutboxRow, withPayload: boolean): DeliveryView {
  const view: DeliveryView = {
    id: Number(row.id),
    sink: row.sink,
    callId: row.call_id,
    eventType: row.event_type,
    idempotencyKey: row.idempotency_key,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: toIso(row.next_attempt_at),
    lastError: row.last_error,
    createdAt: toIso(row.created_at),
    deliveredAt: row.delivered_at === null ? null : toIso(row.delivered_at),
    lockedUntil: row.locked_until === null ? null : toIso(row.locked_until),
  };
  if (withPayload) view.payload = row.payload;
  return view;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  callId?: string;
  sink?: string;
  /** Deliveries with a smaller id than this (the previous page's nextCursor). */
  beforeId?: number;
  limit: number;
  /** Only deliveries of this tenant's calls; null or absent: every tenant's. */
  tenantId?: string | null;
}

/** `call_id` belongs to the tenant in parameter `$n`. */
const OF_TENANT = (n: number) => `call_id IN (SELECT id FROM calls WHERE tenant_id = $${n})`;

/** Newest first. */
export async function listDeliveries(sql: SqlClient, f: DeliveryFilter): Promise<{ items: DeliveryView[]; nextCursor: number | null }> {
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (f.status) add('status = ?', f.status);
  if (f.callId) add('call_id = ?', f.callId);
  if (f.sink) add('sink = ?', f.sink);
  if (f.beforeId !== undefined) add('id < ?', f.beforeId);
  if (f.tenantId != null) add('call_id IN (SELECT id FROM calls WHERE tenant_id = ?)', f.tenantId);
  params.push(f.limit + 1);
  const rows = await sql.query<OutboxRow>(
    `SELECT ${OUTBOX_COLUMNS} FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  const items = rows.slice(0, f.limit).map((r) => toView(r, false));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > f.limit && last ? last.id : null };
}

export async function getDelivery(sql: SqlClient, id: number, tenantId: string | null = null): Promise<DeliveryView> {
  const rows = await sql.query<OutboxRow>(`SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE id = $1 ${tenantId === null ? '' : `AND ${OF_TENANT(2)}`}`, tenantId === null ? [id] : [id, tenantId]);
  if (!rows[0]) throw new AppError(ERROR_CODES.DELIVERY_NOT_FOUND, `delivery ${id} not found`, { details: { id } });
  return toView(rows[0], true);
}

const REVIVE = `status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL,
  delivered_at = NULL, locked_until = NULL, revived_at = now()`;

/**
 * Sends a dead delivery again, together with the dead deliveries queued after it for the same sink
 * and call (they were waiting behind it). Its age restarts, so it gets a full maxAgeMs of retries.
 */
export async function retryDelivery(sql: SqlClient, id: number, tenantId: string | null = null): Promise<DeliveryView[]> {
  return sql.transaction(async (tx) => {
    const rows = await tx.query<OutboxRow>(
      `SELECT ${OUTBOX_COLUMNS} FROM outbox WHERE id = $1 ${tenantId === null ? '' : `AND ${OF_TENANT(2)}`} FOR UPDATE`,
      tenantId === null ? [id] : [id, tenantId],
    );
    const row = rows[0];
    if (!row) throw new AppError(ERROR_CODES.DELIVERY_NOT_FOUND, `delivery ${id} not found`, { details: { id } });
    if (row.status !== 'dead') {
      throw new AppError(ERROR_CODES.REQUEST_INVALID, `delivery ${id} is ${row.status}; only a dead delivery can be retried`, {
        details: { id, status: row.status },
      });
    }
    const revived = await tx.query<OutboxRow>(
      `UPDATE outbox SET ${REVIVE}
       WHERE status = 'dead' AND sink = $1 AND call_id = $2 AND id >= $3
       RETURNING ${OUTBOX_COLUMNS}`,
      [row.sink, row.call_id, id],
    );
    return revived.map((r) => toView(r, false)).sort((a, b) => a.id - b.id);
  });
}

/**
 * Sends every dead delivery again (of one sink when given), once the cause has been fixed. Each one's age
 * restarts; a call's revived deliveries still go in order.
 */
export async function retryDeadDeliveries(sql: SqlClient, sink?: string, tenantId: string | null = null): Promise<number> {
  const params: unknown[] = [];
  const where = ["status = 'dead'"];
  if (sink) where.push(`sink = $${params.push(sink)}`);
  if (tenantId !== null) where.push(OF_TENANT(params.push(tenantId)));
  const rows = await sql.query<{ id: number }>(`UPDATE outbox SET ${REVIVE} WHERE ${where.join(' AND ')} RETURNING id`, params);
  return rows.length;
}

/**
 * Delivers every delivery of a call again (delivered and dead ones included) with the same
 * idempotency keys, so receivers can tell the repeats. Refused while one of them is in flight. `plan` supplies rows when
 * the call has none yet (it ended before the sinks were configured).
 */
export async function replayCallDeliveries(
  sql: SqlClient,
  callId: string,
  options: { sink?: string; plan?: () => Promise<OutboxInsert[]> } = {},
): Promise<DeliveryView[]> {
  const params: unknown[] = [callId];
  if (options.sink) params.push(options.sink);
  const sinkClause = options.sink ? 'AND sink = $2' : '';
  // Re-queueing earlier rows while a later one is in flight would let them arrive after it.
  const busy = await sql.query<{ id: number }>(`SELECT id FROM outbox WHERE call_id = $1 ${sinkClause} AND status = 'delivering' LIMIT 1`, params);
  if (busy.length > 0) {
    throw new AppError(ERROR_CODES.REQUEST_INVALID, `a delivery of call ${callId} is in flight; replay it once that is done`, {
      details: { callId, deliveryId: Number(busy[0]!.id) },
    });
  }
  let rows = await sql.query<OutboxRow>(
    `UPDATE outbox SET ${REVIVE} WHERE call_id = $1 ${sinkClause} AND status <> 'delivering' RETURNING ${OUTBOX_COLUMNS}`,
    params,
  );
  if (rows.length === 0 && options.plan) {
    const planned = (await options.plan()).filter((o) => !options.sink || o.sink === options.sink);
    if (planned.length > 0) {
      rows = await sql.query<OutboxRow>(
        `INSERT INTO outbox (sink, call_id, event_type, idempotency_key, payload)
         SELECT o->>'sink', o->>'callId', o->>'eventType', o->>'idempotencyKey', coalesce(o->'payload', 'null'::jsonb)
         FROM jsonb_array_elements($1::jsonb) AS o
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING ${OUTBOX_COLUMNS}`,
        [JSON.stringify(planned)],
      );
    }
  }
  return rows.map((r) => toView(r, false)).sort((a, b) => a.id - b.id);
}
