import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SqlClient } from '../store/sql-client.ts';

// Outbox metrics. Gauges are read from the database at scrape time (one query per scrape, shared by
// all of them), so every instance reports the same backlog; counters and the latency histogram are
// this instance's own deliveries.

export interface OutboxMetrics {
  /** One delivery attempt's outcome. */
  attempt(sink: string, result: 'delivered' | 'failed' | 'dead' | 'released'): void;
  /** Seconds from queueing to delivery. */
  delivered(sink: string, latencySec: number): void;
}

export interface BacklogRow {
  sink: string;
  pending: number;
  failing: number;
  dead: number;
  oldest_sec: number | null;
  /** Why the newest dead letter was given up (the target's own words when it answered). */
  last_dead_error: string | null;
}

const BACKLOG = `
SELECT sink,
  count(*) FILTER (WHERE status IN ('pending', 'delivering'))::int AS pending,
  count(*) FILTER (WHERE status IN ('pending', 'delivering') AND last_error IS NOT NULL)::int AS failing,
  count(*) FILTER (WHERE status = 'dead')::int AS dead,
  extract(epoch FROM now() - min(created_at) FILTER (WHERE status IN ('pending', 'delivering')))::float8 AS oldest_sec,
  (array_agg(last_error ORDER BY id DESC) FILTER (WHERE status = 'dead' AND last_error NOT LIKE 'blocked:%'))[1] AS last_dead_error
FROM outbox WHERE status <> 'delivered' GROUP BY sink`;

/** Per sink: undelivered, failing and dead counts, the oldest undelivered age and the newest dead letter's reason. */
export async function readBacklog(sql: SqlClient): Promise<BacklogRow[]> {
  const rows = await sql.query<BacklogRow>(BACKLOG);
  return rows.map((r) => ({
    sink: r.sink,
    pending: Number(r.pending),
    failing: Number(r.failing),
    dead: Number(r.dead),
    oldest_sec: r.oldest_sec === null ? null : Number(r.oldest_sec),
    last_dead_error: r.last_dead_error ?? null,
  }));
}

const SCRAPE_REUSE_MS = 1000;

export function createOutboxMetrics(registry: Registry, sql: SqlClient, sinks: readonly string[] | (() => readonly string[])): OutboxMetrics {
  const sinkNames = typeof sinks === 'function' ? sinks : () => sinks;
  let last: { at: number; rows: Promise<BacklogRow[]> } | null = null;
  const backlog = (): Promise<BacklogRow[]> => {
    const now = Date.now();
    if (!last || now - last.at > SCRAPE_REUSE_MS) {
      last = { at: now, rows: readBacklog(sql).catch(() => []) };
    }
    return last.rows;
  };
  const gauge = (name: string, help: string, pick: (r: BacklogRow) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['sink'],
      registers: [registry],
      async collect() {
        const rows = await backlog();
        this.reset();
        for (const sink of sinkNames()) this.set({ sink }, 0);
        for (const row of rows) this.set({ sink: row.sink }, pick(row));
      },
    });

  gauge('callflow_outbox_pending', 'Deliveries waiting or in flight', (r) => r.pending);
  gauge('callflow_outbox_failing', 'Pending deliveries whose last attempt failed', (r) => r.failing);
  gauge('callflow_outbox_dead', 'Deliveries given up (dead letters)', (r) => r.dead);
  gauge('callflow_outbox_oldest_pending_age_seconds', 'Age of the oldest undelivered delivery', (r) => r.oldest_sec ?? 0);

  const attempts = new Counter({
    name: 'callflow_outbox_attempts_total',
    help: 'Delivery attempts by outcome',
    labelNames: ['sink', 'result'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'callflow_outbox_delivery_latency_seconds',
    help: 'From the call change being queued to its delivery',
    labelNames: ['sink'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400],
    registers: [registry],
  });
  return {
    attempt: (sink, result) => attempts.inc({ sink, result }),
    delivered: (sink, latencySec) => latency.observe({ sink }, Math.max(0, latencySec)),
  };
}
