import type { SqlClient } from '../../store/sql-client.ts';
import { guarded } from '../../store/store-errors.ts';
import { iso, writing } from '../../tenants/repo-support.ts';
import type { RecordPolicy } from '../flow/types.ts';

// Call recordings kept by the engine (docs/routing.md, "Call recordings"): one row per recorded conversation,
// the audio itself a stored recording on Asterisk under the row's id. Read per tenant; a call's recordings are
// found through its legs (the caller's channel is one).

export interface CallRecordingRow {
  id: string;
  tenantId: string;
  server: string;
  /** The caller's channel, a leg of the call. */
  channelId: string;
  from: string | null;
  policy: RecordPolicy;
  durationS: number;
  startedAt: string;
  createdAt: string;
}

export type NewCallRecording = Omit<CallRecordingRow, 'createdAt'>;

/** Where the API serves a call recording's audio (GET /api/recordings/:id/audio): in listings and in webhooks. */
export function recordingAudioPath(id: string): string {
  return `/api/recordings/${encodeURIComponent(id)}/audio`;
}

/** A page of a tenant's recordings is at most this long. */
export const RECORDINGS_PAGE_MAX = 500;

interface Row {
  id: string;
  tenant_id: string;
  server: string;
  channel_id: string;
  from_number: string | null;
  policy: RecordPolicy;
  duration_s: number;
  started_at: Date | string;
  created_at: Date | string;
}

const COLUMNS = 'id, tenant_id, server, channel_id, from_number, policy, duration_s, started_at, created_at';

function toRecording(r: Row): CallRecordingRow {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    server: r.server,
    channelId: r.channel_id,
    from: r.from_number,
    policy: r.policy,
    durationS: Number(r.duration_s),
    startedAt: iso(r.started_at),
    createdAt: iso(r.created_at),
  };
}

export class RecordingStore {
  constructor(readonly sql: SqlClient) {}

  /** Runs `fn` in one transaction with a store bound to it (inside, use only it: the embedded database runs one thing at a time). */
  transaction<T>(fn: (tx: RecordingStore) => Promise<T>): Promise<T> {
    return this.sql.transaction((tx) => fn(new RecordingStore(tx)));
  }

  /** Stores a finished recording; a second report of the same one (a retry) changes nothing. */
  async add(r: NewCallRecording): Promise<void> {
    await writing('addCallRecording', {}, () =>
      this.sql.query(
        `INSERT INTO call_recordings (id, tenant_id, server, channel_id, from_number, policy, duration_s, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
        [r.id, r.tenantId, r.server, r.channelId, r.from, r.policy, r.durationS, r.startedAt],
      ),
    );
  }

  /** The tenant's recordings, newest first; `channelIds` narrows them to those of one call's legs. */
  async list(tenantId: string, options: { channelIds?: readonly string[]; limit?: number } = {}): Promise<CallRecordingRow[]> {
    const limit = Math.min(options.limit ?? RECORDINGS_PAGE_MAX, RECORDINGS_PAGE_MAX);
    const rows = await guarded('listCallRecordings', () =>
      options.channelIds === undefined
        ? this.sql.query<Row>(`SELECT ${COLUMNS} FROM call_recordings WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [tenantId, limit])
        : this.sql.query<Row>(`SELECT ${COLUMNS} FROM call_recordings WHERE tenant_id = $1 AND channel_id = ANY($2::text[]) ORDER BY created_at DESC, id DESC LIMIT $3`, [
            tenantId,
            [...options.channelIds],
            limit,
          ]),
    );
    return rows.map(toRecording);
  }

  async get(tenantId: string, id: string): Promise<CallRecordingRow | null> {
    const [row] = await guarded('getCallRecording', () => this.sql.query<Row>(`SELECT ${COLUMNS} FROM call_recordings WHERE tenant_id = $1 AND id = $2`, [tenantId, id]));
    return row ? toRecording(row) : null;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const rows = await guarded('deleteCallRecording', () => this.sql.query('DELETE FROM call_recordings WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]));
    return rows.length > 0;
  }

  /** Recordings stored before `before` (any tenant), oldest first: what the retention sweep removes. */
  async olderThan(before: Date, limit: number): Promise<CallRecordingRow[]> {
    const rows = await guarded('expiredCallRecordings', () =>
      this.sql.query<Row>(`SELECT ${COLUMNS} FROM call_recordings WHERE created_at < $1 ORDER BY created_at LIMIT $2`, [before.toISOString(), limit]),
    );
    return rows.map(toRecording);
  }

  /** Removes rows whose audio is gone (the retention sweep, after deleting the files). */
  async deleteIds(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await guarded('deleteCallRecordings', () => this.sql.query('DELETE FROM call_recordings WHERE id = ANY($1::text[])', [[...ids]]));
  }
}
