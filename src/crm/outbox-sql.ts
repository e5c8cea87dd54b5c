import type { SqlClient } from '../store/sql-client.ts';
import type { Delivery } from './sink.ts';

// The outbox's state changes, each one statement, safe with any number of workers on PostgreSQL or
// PGlite. A claim is fenced by (status 'delivering', attempts): a worker whose lease ran out and whose
// row another worker took over cannot overwrite the newer attempt's outcome.

export const DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface OutboxRow {
  id: number;
  sink: string;
  call_id: string;
  event_type: string;
  idempotency_key: string;
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | string;
  last_error: string | null;
  created_at: Date | string;
  delivered_at: Date | string | null;
  locked_until: Date | string | null;
}

export const OUTBOX_COLUMNS =
  'id, sink, call_id, event_type, idempotency_key, payload, status, attempts, next_attempt_at, last_error, created_at, delivered_at, locked_until';

export const toIso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString();

export function toDelivery(row: OutboxRow): Delivery {
  return {
    id: Number(row.id),
    sink: row.sink,
    callId: row.call_id,
    eventType: row.event_type,
    idempotencyKey: row.idempotency_key,
    payload: row.payload,
    attempts: Number(row.attempts),
    createdAt: toIso(row.created_at),
  };
}

const MS = "* interval '1 millisecond'";

// A row is due when nothing earlier of the same sink and call is still undelivered: a finish never
// overtakes its register, and one call never has two deliveries to one sink in flight. A fresh
// call.created waits settleMs, so a call merged into another meanwhile (its pending rows deleted)
// never reaches the CRM.
const CLAIM = `
WITH due AS (
  SELECT o.id FROM outbox o
  WHERE o.sink = ANY($1::text[])
    AND (o.status = 'pending' OR (o.status = 'delivering' AND o.locked_until < now()))
    AND o.next_attempt_at <= now()
    AND NOT (o.event_type = 'call.created' AND o.attempts = 0 AND o.created_at > now() - $3::bigint ${MS})
    AND NOT EXISTS (
      SELECT 1 FROM outbox p
      WHERE p.sink = o.sink AND p.call_id = o.call_id AND p.id < o.id AND p.status <> 'delivered')
  ORDER BY o.next_attempt_at, o.id
  LIMIT $2
  FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox SET status = 'delivering', attempts = outbox.attempts + 1, locked_until = now() + $4::bigint ${MS}
FROM due WHERE outbox.id = due.id
RETURNING outbox.id, outbox.sink, outbox.call_id, outbox.event_type, outbox.idempotency_key, outbox.payload,
  outbox.status, outbox.attempts, outbox.next_attempt_at, outbox.last_error, outbox.created_at,
  outbox.delivered_at, outbox.locked_until`;

export interface ClaimOptions {
  sinks: string[];
  limit: number;
  settleMs: number;
  leaseMs: number;
}

export async function claimDue(sql: SqlClient, o: ClaimOptions): Promise<Delivery[]> {
  if (o.sinks.length === 0 || o.limit <= 0) return [];
  const rows = await sql.query<OutboxRow>(CLAIM, [o.sinks, o.limit, o.settleMs, o.leaseMs]);
  return rows.map(toDelivery).sort((a, b) => a.id - b.id);
}

/** Marks a claimed row delivered; returns seconds from queueing to delivery, or null when fenced out. */
export async function markDelivered(sql: SqlClient, d: Delivery): Promise<number | null> {
  const rows = await sql.query<{ latency_sec: number }>(
    `UPDATE outbox SET status = 'delivered', delivered_at = now(), locked_until = NULL, last_error = NULL
     WHERE id = $1 AND status = 'delivering' AND attempts = $2
     RETURNING extract(epoch FROM (delivered_at - created_at))::float8 AS latency_sec`,
    [d.id, d.attempts],
  );
  return rows[0] ? Number(rows[0].latency_sec) : null;
}

/**
 * After a failed attempt: dead when permanent or older than maxAgeMs (counted from a manual retry or
 * replay when there was one); otherwise pending again after
 * delayMs, but never later than the moment it turns maxAgeMs old (that moment gets one last try).
 */
export async function markFailed(
  sql: SqlClient,
  d: Delivery,
  f: { error: string; permanent: boolean; delayMs: number; maxAgeMs: number },
): Promise<DeliveryStatus | null> {
  const rows = await sql.query<{ status: DeliveryStatus }>(
    `UPDATE outbox SET
       status = CASE WHEN $3::boolean OR now() >= coalesce(revived_at, created_at) + $4::bigint ${MS} THEN 'dead' ELSE 'pending' END,
       next_attempt_at = LEAST(now() + $5::bigint ${MS}, coalesce(revived_at, created_at) + $4::bigint ${MS}),
       last_error = $6, locked_until = NULL
     WHERE id = $1 AND status = 'delivering' AND attempts = $2
     RETURNING status`,
    [d.id, d.attempts, f.permanent, f.maxAgeMs, f.delayMs, f.error],
  );
  return rows[0]?.status ?? null;
}

/** Gives a claim back untried (the target's breaker is open): the attempt does not count. */
export async function releaseClaim(sql: SqlClient, d: Delivery, delayMs: number): Promise<void> {
  await sql.query(
    `UPDATE outbox SET status = 'pending', attempts = attempts - 1, locked_until = NULL,
       next_attempt_at = now() + $3::bigint ${MS}
     WHERE id = $1 AND status = 'delivering' AND attempts = $2`,
    [d.id, d.attempts, delayMs],
  );
}

/** Keeps this worker's claims from being taken over while their deliveries run. */
export async function extendLeases(sql: SqlClient, ids: number[], leaseMs: number): Promise<void> {
  if (ids.length === 0) return;
  await sql.query(
    `UPDATE outbox SET locked_until = now() + $2::bigint ${MS} WHERE id = ANY($1::bigint[]) AND status = 'delivering'`,
    [ids, leaseMs],
  );
}

/**
 * Rows that can never be delivered in order become dead letters: those behind a dead row of the same
 * sink and call, and pending rows of sinks no longer configured once they are older than maxAgeMs.
 */
export async function sweep(sql: SqlClient, knownSinks: string[], maxAgeMs: number): Promise<number> {
  const blocked = await sql.query<{ id: number }>(
    `UPDATE outbox o SET status = 'dead', locked_until = NULL,
       last_error = 'blocked: an earlier delivery of this call to this sink is dead (' || p.id || ')'
     FROM outbox p
     WHERE o.status = 'pending' AND p.sink = o.sink AND p.call_id = o.call_id AND p.id < o.id AND p.status = 'dead'
     RETURNING o.id`,
  );
  const orphaned = await sql.query<{ id: number }>(
    `UPDATE outbox SET status = 'dead', last_error = 'no such sink is configured'
     WHERE status = 'pending' AND NOT (sink = ANY($1::text[]))
       AND coalesce(revived_at, created_at) < now() - $2::bigint ${MS}
     RETURNING id`,
    [knownSinks, maxAgeMs],
  );
  return blocked.length + orphaned.length;
}
