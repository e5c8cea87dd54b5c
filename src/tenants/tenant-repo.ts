import type { SqlClient } from '../store/sql-client.ts';
import { guarded } from '../store/store-errors.ts';
import { TENANT_STATUSES, type Tenant, type TenantCrmSettings, type TenantStatus } from './model.ts';
import { iso, invalid, jsonParam, newId, writing } from './repo-support.ts';

// Tenants themselves and their CRM settings.

export interface NewTenant {
  name: string;
  slug: string;
  timezone: string;
  settings?: Record<string, unknown>;
}

export interface TenantPatch {
  name?: string;
  slug?: string;
  timezone?: string;
  status?: TenantStatus;
  settings?: Record<string, unknown>;
}

interface TenantRow {
  id: string;
  name: string;
  slug: string;
  timezone: string;
  status: TenantStatus;
  settings: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const TENANT_COLUMNS = 'id, name, slug, timezone, status, settings, created_at, updated_at';
const SLUG = /^[a-z0-9-]{1,63}$/;
const SLUG_TAKEN = { message: 'another tenant already has this slug', field: 'slug' };

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    timezone: row.timezone,
    status: row.status,
    settings: row.settings,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** Whether the runtime knows `zone` as an IANA time zone (the one it would format dates in). */
export function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function checkTenantFields(fields: TenantPatch): void {
  if (fields.name !== undefined && (fields.name.trim().length === 0 || fields.name.length > 200)) {
    throw invalid('a tenant name has 1 to 200 characters', 'name');
  }
  if (fields.slug !== undefined && !SLUG.test(fields.slug)) {
    throw invalid('a slug has 1 to 63 characters: lower-case letters, digits and hyphens', 'slug');
  }
  if (fields.timezone !== undefined && !isTimeZone(fields.timezone)) {
    throw invalid(`unknown time zone: ${JSON.stringify(fields.timezone.slice(0, 64))}`, 'timezone');
  }
  if (fields.status !== undefined && !TENANT_STATUSES.includes(fields.status)) {
    throw invalid(`a tenant's status is one of ${TENANT_STATUSES.join(', ')}`, 'status');
  }
  if (fields.settings !== undefined && (typeof fields.settings !== 'object' || fields.settings === null || Array.isArray(fields.settings))) {
    throw invalid('tenant settings are an object', 'settings');
  }
}

export async function listTenants(db: SqlClient): Promise<Tenant[]> {
  const rows = await guarded('listTenants', () => db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants ORDER BY name, id`));
  return rows.map(toTenant);
}

export async function getTenant(db: SqlClient, id: string): Promise<Tenant | null> {
  const [row] = await guarded('getTenant', () => db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE id = $1`, [id]));
  return row ? toTenant(row) : null;
}

export async function createTenant(db: SqlClient, input: NewTenant): Promise<Tenant> {
  checkTenantFields(input);
  const [row] = await writing('createTenant', { conflict: SLUG_TAKEN }, () =>
    db.query<TenantRow>(
      `INSERT INTO tenants (id, name, slug, timezone, settings) VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING ${TENANT_COLUMNS}`,
      [newId('t_'), input.name.trim(), input.slug, input.timezone, jsonParam(input.settings ?? {})],
    ),
  );
  return toTenant(row!);
}

/** Applies the fields given; null when there is no such tenant. */
export async function updateTenant(db: SqlClient, id: string, patch: TenantPatch): Promise<Tenant | null> {
  checkTenantFields(patch);
  const [row] = await writing('updateTenant', { conflict: SLUG_TAKEN }, () =>
    db.query<TenantRow>(
      `UPDATE tenants SET
         name = COALESCE($2::text, name),
         slug = COALESCE($3::text, slug),
         timezone = COALESCE($4::text, timezone),
         status = COALESCE($5::text, status),
         settings = COALESCE($6::jsonb, settings),
         updated_at = now()
       WHERE id = $1
       RETURNING ${TENANT_COLUMNS}`,
      [id, patch.name?.trim() ?? null, patch.slug ?? null, patch.timezone ?? null, patch.status ?? null, jsonParam(patch.settings)],
    ),
  );
  return row ? toTenant(row) : null;
}

export async function getTenantCrm(db: SqlClient, tenantId: string): Promise<TenantCrmSettings | null> {
  const [row] = await guarded('getTenantCrm', () =>
    db.query<{ config: unknown; updated_at: Date }>('SELECT config, updated_at FROM tenant_crm WHERE tenant_id = $1', [tenantId]),
  );
  return row ? { config: row.config, updatedAt: iso(row.updated_at) } : null;
}

/** Every tenant's stored CRM settings (read once at start). */
export async function listTenantCrm(db: SqlClient): Promise<(TenantCrmSettings & { tenantId: string })[]> {
  const rows = await guarded('listTenantCrm', () =>
    db.query<{ tenant_id: string; config: unknown; updated_at: Date }>('SELECT tenant_id, config, updated_at FROM tenant_crm ORDER BY tenant_id'),
  );
  return rows.map((row) => ({ tenantId: row.tenant_id, config: row.config, updatedAt: iso(row.updated_at) }));
}

/** Replaces the tenant's CRM settings as a whole; secrets in `config` must already be sealed (secret-box.ts). */
export async function putTenantCrm(db: SqlClient, tenantId: string, config: unknown): Promise<TenantCrmSettings> {
  if (config === undefined || config === null) throw invalid('CRM settings are required', 'config');
  const [row] = await writing('putTenantCrm', { missing: { message: `no tenant ${tenantId}`, field: 'tenantId' } }, () =>
    db.query<{ config: unknown; updated_at: Date }>(
      `INSERT INTO tenant_crm (tenant_id, config) VALUES ($1, $2::jsonb)
       ON CONFLICT (tenant_id) DO UPDATE SET config = EXCLUDED.config, updated_at = now()
       RETURNING config, updated_at`,
      [tenantId, jsonParam(config)],
    ),
  );
  return { config: row!.config, updatedAt: iso(row!.updated_at) };
}
