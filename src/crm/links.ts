import type { SqlClient } from '../store/sql-client.ts';

// What a CRM calls our call (crm_links): Bitrix24's CALL_ID, the CRM entities it linked, and the
// delivery steps already done. The API shows these next to the call.

export interface CrmLink {
  callId: string;
  sink: string;
  externalCallId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

interface LinkRow {
  call_id: string;
  sink: string;
  external_call_id: string | null;
  data: Record<string, unknown> | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (v: Date | string): string => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

function toLink(row: LinkRow): CrmLink {
  return {
    callId: row.call_id,
    sink: row.sink,
    externalCallId: row.external_call_id,
    data: row.data ?? {},
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

const COLUMNS = 'call_id, sink, external_call_id, data, created_at, updated_at';

/** Every CRM's link of one call. */
export async function getCrmLinks(sql: SqlClient, callId: string): Promise<CrmLink[]> {
  const rows = await sql.query<LinkRow>(`SELECT ${COLUMNS} FROM crm_links WHERE call_id = $1 ORDER BY sink`, [callId]);
  return rows.map(toLink);
}

/** The link of any of these ids (a call's id first, then its channels' ids), for one sink. */
export async function findCrmLink(sql: SqlClient, sink: string, ids: string[]): Promise<CrmLink | null> {
  if (ids.length === 0) return null;
  const rows = await sql.query<LinkRow>(
    `SELECT ${COLUMNS} FROM crm_links WHERE sink = $1 AND call_id = ANY($2::text[])
     ORDER BY array_position($2::text[], call_id) LIMIT 1`,
    [sink, ids],
  );
  return rows[0] ? toLink(rows[0]) : null;
}

/** Creates the link or merges `data` into it; a null externalCallId keeps the stored one. */
export async function saveCrmLink(
  sql: SqlClient,
  link: { callId: string; sink: string; externalCallId: string | null; data: Record<string, unknown> },
): Promise<CrmLink> {
  const rows = await sql.query<LinkRow>(
    `INSERT INTO crm_links (call_id, sink, external_call_id, data) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (call_id, sink) DO UPDATE SET
       external_call_id = coalesce(EXCLUDED.external_call_id, crm_links.external_call_id),
       data = crm_links.data || EXCLUDED.data,
       updated_at = now()
     RETURNING ${COLUMNS}`,
    [link.callId, link.sink, link.externalCallId, JSON.stringify(link.data)],
  );
  return toLink(rows[0] as LinkRow);
}

/** The link Bitrix24 (or another CRM) knows under its own call id. */
export async function findCrmLinkByExternalId(sql: SqlClient, sink: string, externalCallId: string): Promise<CrmLink | null> {
  const rows = await sql.query<LinkRow>(
    `SELECT ${COLUMNS} FROM crm_links WHERE sink = $1 AND external_call_id = $2 ORDER BY created_at LIMIT 1`,
    [sink, externalCallId],
  );
  return rows[0] ? toLink(rows[0]) : null;
}

/** Creates the link unless one exists for (callId, sink); true when this call created it. */
export async function insertCrmLinkIfAbsent(
  sql: SqlClient,
  link: { callId: string; sink: string; externalCallId: string | null; data: Record<string, unknown> },
): Promise<boolean> {
  const rows = await sql.query<{ call_id: string }>(
    `INSERT INTO crm_links (call_id, sink, external_call_id, data) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (call_id, sink) DO NOTHING RETURNING call_id`,
    [link.callId, link.sink, link.externalCallId, JSON.stringify(link.data)],
  );
  return rows.length > 0;
}
