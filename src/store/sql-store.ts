import type { Logger } from '../app/logger.ts';
import type { CallRecord } from '../domain/call.ts';
import type { SqlClient } from './sql-client.ts';
import type { CallFilter, CallPage, CallPageJson, GapBackfill, IngestGap, Store, StoreStats } from './types.ts';
import { SPILL_MARK_RUN } from './batch-statements.ts';
import { callFilterSql, checkPageSize, decodeCursor, encodeCursor, MAX_EVENT_PAGE_SIZE, MAX_PAGE_SIZE, whereClause } from './call-query.ts';
import { callStats } from './call-stats.ts';
import { loadMigrations, runMigrations } from './migrate.ts';
import { callRecordText, isoTime, toCallRecord, toQuarantinedRow, toStoredEvent, type EventDbRow, type QuarantineDbRow } from './row-mapping.ts';
import { guarded } from './store-errors.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import { writeBatch } from './write-batch.ts';
import { EventCopy } from './event-copy.ts';

// The Store port over any SqlClient: the same SQL serves PostgreSQL and PGlite.

/** A Store that also hands out its SqlClient, for components with their own tables (the CRM outbox worker). */
export interface SqlStore extends Store {
  readonly sql: SqlClient;
}

export interface SqlStoreOptions {
  kind: Store['kind'];
  logger?: Logger;
  /** Runs after the client is closed (releases the data-folder lock). */
  onClose?: () => Promise<void>;
  /** Folder of migration files; the bundled ones by default. */
  migrationsDir?: string;
}

export function createSqlStore(sql: SqlClient, options: SqlStoreOptions): SqlStore {
  const { logger } = options;
  let closed: Promise<void> | null = null;

  async function listCallsJson(filter: CallFilter, cursor: string | null, limit: number): Promise<CallPageJson> {
    checkPageSize(limit);
    const params: unknown[] = [];
    const conditions = callFilterSql(filter, params);
    if (cursor !== null) {
      const after = decodeCursor(cursor);
      params.push(after.startedAt, after.id);
      conditions.push(`(started_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(limit + 1);
    // The record text as stored (no parse, no re-serialization); the cursor from the exact column value.
    const columns = `c.record::text AS record, c.id, to_char(c.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started`;
    const order = 'ORDER BY started_at DESC, id DESC';
    const text =
      filter.number !== undefined && filter.number !== ''
        ? // A number prefix skips most rows on the way to a page: the page's ids come from the listing index
          // alone (its INCLUDE columns hold what filters test), then only those rows are read. Other filters
          // pass most rows, and there the simple plan is cheaper (planning the nested one costs ~0.5 ms).
          `SELECT ${columns} FROM calls c
           WHERE c.id = ANY (ARRAY(SELECT id FROM calls ${whereClause(conditions)} ${order} LIMIT $${params.length}))
           ORDER BY c.started_at DESC, c.id DESC`
        : `SELECT ${columns} FROM calls c ${whereClause(conditions)} ${order} LIMIT $${params.length}`;
    const rows = await guarded('listCalls', () => sql.query<{ record: string; id: string; started: string }>(text, params));
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return {
      items: rows.slice(0, limit).map((row) => callRecordText(row.record)),
      nextCursor: last ? encodeCursor({ startedAt: last.started, id: last.id }) : null,
    };
  }

  async function listCalls(filter: CallFilter, cursor: string | null, limit: number): Promise<CallPage> {
    const page = await listCallsJson(filter, cursor, limit);
    return { items: page.items.map((text: string) => toCallRecord(JSON.parse(text))), nextCursor: page.nextCursor };
  }

  return {
    kind: options.kind,
    sql,

    migrate: () =>
      guarded('migrate', async () => {
        const result = await runMigrations(sql, await loadMigrations(options.migrationsDir));
        for (const name of result.applied) logger?.info({ migration: name }, 'applied database migration');
        if (result.unknown.length > 0) {
          logger?.warn({ migrations: result.unknown }, 'database has migrations this version does not know');
        }
      }),

    writeBatch: (batch, options) => guarded('writeBatch', () => writeBatch(sql, batch, options)),

    // PostgreSQL takes events as binary COPY data, which can be built as they arrive; PGlite takes rows.
    ...(sql.dialect === 'postgres' ? { encodeEvents: () => new EventCopy() } : {}),

    getCall: (id) =>
      guarded('getCall', async () => {
        const [row] = await sql.query<{ record: unknown }>('SELECT record FROM calls WHERE id = $1', [id]);
        return row ? toCallRecord(row.record) : null;
      }),

    listCalls,
    listCallsJson,

    getEvents: (callId) =>
      guarded('getEvents', async () => {
        const rows = await sql.query<EventDbRow>(
          `SELECT seq, call_id, server, type, channel_id, received_at, payload
           FROM events WHERE call_id = $1 ORDER BY seq`,
          [callId],
        );
        return rows.map(toStoredEvent);
      }),

    async getEventsPage(callId, afterSeq, limit) {
      checkPageSize(limit, MAX_EVENT_PAGE_SIZE);
      if (afterSeq !== null && !(Number.isSafeInteger(afterSeq) && afterSeq >= 0)) {
        throw new AppError(ERROR_CODES.REQUEST_INVALID, 'after must be a whole number of 0 or more', { details: { field: 'after' } });
      }
      // One row past the page tells whether another page follows; (call_id, seq) is indexed.
      const rows = await guarded('getEventsPage', () =>
        sql.query<EventDbRow>(
          `SELECT seq, call_id, server, type, channel_id, received_at, payload
           FROM events WHERE call_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
          [callId, afterSeq ?? 0, limit + 1],
        ),
      );
      const items = rows.slice(0, limit).map(toStoredEvent);
      return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.seq : null };
    },

    callIdsOfChannels: (server, channelIds) =>
      guarded('callIdsOfChannels', async () => {
        if (channelIds.length === 0) return new Map<string, string>();
        const rows = await sql.query<{ channel_id: string; call_id: string }>(
          'SELECT channel_id, call_id FROM legs WHERE server = $1 AND channel_id = ANY($2::text[])',
          [server, channelIds],
        );
        return new Map(rows.map((row) => [row.channel_id, row.call_id]));
      }),

    openCalls: (server) =>
      guarded('openCalls', async () => {
        const params = server === undefined ? [] : [server];
        const rows = await sql.query<{ record: unknown }>(
          `SELECT record FROM calls WHERE status <> 'finished' ${server === undefined ? '' : 'AND server = $1'}
           ORDER BY started_at, id`,
          params,
        );
        return rows.map((row) => toCallRecord(row.record));
      }),

    stats: () =>
      guarded('stats', async (): Promise<StoreStats> => {
        const [calls] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM calls');
        const types = await sql.query<{ type: string; count: number }>(
          'SELECT type, count FROM event_type_counts ORDER BY type',
        );
        const eventsByType: Record<string, number> = {};
        let events = 0;
        for (const row of types) {
          eventsByType[row.type] = Number(row.count);
          events += Number(row.count);
        }
        return { calls: calls?.n ?? 0, events, eventsByType };
      }),

    callStats: (filter) => guarded('callStats', () => callStats(sql, filter)),

    async *iterateCalls(filter: CallFilter): AsyncIterable<CallRecord> {
      let cursor: string | null = null;
      do {
        const page: CallPage = await listCalls(filter, cursor, MAX_PAGE_SIZE);
        yield* page.items;
        cursor = page.nextCursor;
      } while (cursor !== null);
    },

    recordGap: (gap) =>
      guarded('recordGap', async () => {
        const [row] = await sql.query<{ id: number }>('INSERT INTO ingest_gaps (server, from_at, to_at, reason) VALUES ($1, $2, $3, $4) RETURNING id', [
          gap.server,
          gap.from,
          gap.to,
          gap.reason,
        ]);
        return Number(row!.id);
      }),

    markGapBackfilled: (id, backfill) =>
      guarded('markGapBackfilled', async () => {
        await sql.query('UPDATE ingest_gaps SET backfilled_at = now(), backfill = $2::jsonb WHERE id = $1', [id, JSON.stringify(backfill)]);
      }),

    listGaps: (server, before, limit) =>
      guarded('listGaps', async () => {
        checkPageSize(limit);
        const params: unknown[] = [limit];
        const conditions: string[] = [];
        if (server !== null) {
          params.push(server);
          conditions.push(`server = $${params.length}`);
        }
        if (before !== null) {
          params.push(before);
          conditions.push(`id < $${params.length}`);
        }
        const rows = await sql.query<{ id: number; server: string; from_at: Date; to_at: Date; reason: IngestGap['reason']; backfilled_at: Date | null; backfill: unknown }>(
          `SELECT id, server, from_at, to_at, reason, backfilled_at, backfill FROM ingest_gaps ${whereClause(conditions)} ORDER BY id DESC LIMIT $1`,
          params,
        );
        return rows.map((r) => ({
          id: Number(r.id),
          server: r.server,
          from: isoTime(r.from_at),
          to: isoTime(r.to_at),
          reason: r.reason,
          backfilledAt: r.backfilled_at ? isoTime(r.backfilled_at) : null,
          backfill: (typeof r.backfill === 'string' ? JSON.parse(r.backfill) : r.backfill ?? null) as GapBackfill | null,
        }));
      }),

    lastRunActivityAt: (exceptRun) =>
      guarded('lastRunActivityAt', async () => {
        const [row] = await sql.query<{ at: Date | null }>(`SELECT max(updated_at) AS at FROM ingest_marks WHERE run_id <> $1 AND run_id <> '${SPILL_MARK_RUN}'`, [exceptRun]);
        return row?.at ? isoTime(row.at) : null;
      }),

    lastIngestMark: (run) =>
      guarded('lastIngestMark', async () => {
        const [row] = await sql.query<{ batch: number }>('SELECT batch::float8 AS batch FROM ingest_marks WHERE run_id = $1', [run]);
        return row ? Number(row.batch) : 0;
      }),

    dropIngestMark: (run) =>
      guarded('dropIngestMark', async () => {
        await sql.query('DELETE FROM ingest_marks WHERE run_id = $1', [run]);
      }),

    listQuarantine: (before, limit) =>
      guarded('listQuarantine', async () => {
        checkPageSize(limit);
        const params: unknown[] = [limit];
        if (before !== null) params.push(before);
        const rows = await sql.query<QuarantineDbRow>(
          `SELECT id, kind, call_id, server, type, sqlstate, error, data, created_at FROM quarantine
           ${before === null ? '' : 'WHERE id < $2'} ORDER BY id DESC LIMIT $1`,
          params,
        );
        const [count] = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantine');
        return { items: rows.map(toQuarantinedRow), total: count?.n ?? 0 };
      }),

    ping: () =>
      guarded('ping', async () => {
        await sql.query('SELECT 1');
      }),

    close() {
      closed ??= (async () => {
        try {
          await sql.close();
        } finally {
          await options.onClose?.();
        }
      })();
      return closed;
    },
  };
}
