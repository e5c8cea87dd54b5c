import type { SqlClient } from '../../store/sql-client.ts';
import { guarded } from '../../store/store-errors.ts';
import { openSecret, sealSecret } from '../../tenants/secret-box.ts';
import type { Extension } from '../objects/model.ts';
import { generateSipPassword } from './pjsip-objects.ts';

// Extensions' SIP passwords (migration 043): made by the engine, shown once, stored sealed under the engine's
// secrets key so that they can be pushed to Asterisk again. Never in an API view, an audit entry or a log.

/** Makes a new password for the extension, stores it sealed; the password, or null when the tenant has no such extension. */
export async function resetSipPassword(sql: SqlClient, secretsKey: Buffer, tenantId: string, extensionId: string): Promise<string | null> {
  const password = generateSipPassword();
  const rows = await guarded('set SIP password', () =>
    sql.query('UPDATE extensions SET sip_password_sealed = $3 WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, extensionId, sealSecret(password, secretsKey)]),
  );
  return rows.length > 0 ? password : null;
}

/** An extension as the provisioner pushes it: what the endpoint needs, and its password (null: none stored). */
export interface ExtensionCredentials {
  id: string;
  tenantId: string;
  number: string;
  name: string;
  endpoint: string;
  callerIdName: string | null;
  enabled: boolean;
  sealedPassword: string | null;
}

/** An extension's row as the credentials are read from it. */
export interface CredentialRow {
  id: string;
  tenant_id: string;
  number: string;
  name: string;
  endpoint: string;
  caller_id_name: string | null;
  enabled: boolean;
  sip_password_sealed: string | null;
}

const COLUMNS = 'id, tenant_id, number, name, endpoint, caller_id_name, enabled, sip_password_sealed';
const toCredentials = (r: CredentialRow): ExtensionCredentials => ({
  id: r.id,
  tenantId: r.tenant_id,
  number: r.number,
  name: r.name,
  endpoint: r.endpoint,
  callerIdName: r.caller_id_name,
  enabled: r.enabled,
  sealedPassword: r.sip_password_sealed,
});

/** One extension of a tenant, or null. */
export async function extensionCredentials(sql: SqlClient, tenantId: string, extensionId: string): Promise<ExtensionCredentials | null> {
  const [row] = await guarded('read extension credentials', () => sql.query<CredentialRow>(`SELECT ${COLUMNS} FROM extensions WHERE tenant_id = $1 AND id = $2`, [tenantId, extensionId]));
  return row ? toCredentials(row) : null;
}

/** Every extension of every tenant (what an Asterisk (re)connecting is given). */
export async function allExtensionCredentials(sql: SqlClient): Promise<ExtensionCredentials[]> {
  const rows = await guarded('list extension credentials', () => sql.query<CredentialRow>(`SELECT ${COLUMNS} FROM extensions ORDER BY tenant_id, created_at, id`));
  return rows.map(toCredentials);
}

export function openSipPassword(sealed: string, secretsKey: Buffer): string {
  return openSecret(sealed, secretsKey);
}

export type { Extension };
