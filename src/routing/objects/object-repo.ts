import type { SqlClient } from '../../store/sql-client.ts';
import { guarded } from '../../store/store-errors.ts';
import { iso, jsonParam, newId, writing, type ViolationMeanings } from '../../tenants/repo-support.ts';

// One table of routing objects (042_routing.sql), described once: each field of the model and its column.
// Every query names the tenant, so an object of another tenant is simply not there. A write of a field left
// undefined keeps the stored value (a PIN hash that an update does not mention).

export type ColumnKind = 'text' | 'int' | 'bool' | 'json';

export interface Field {
  key: string;
  column: string;
  kind: ColumnKind;
  /** Set at creation only (an extension's endpoint, a ring group's next index). */
  createOnly?: boolean;
}

export interface ObjectTable<T> {
  table: string;
  idPrefix: string;
  /** The object's name in messages and audit entries. */
  what: string;
  fields: readonly Field[];
  /** Columns of the model that have no field here are not read; this turns a row into the model. */
  readonly _model?: T;
}

const CAST: Record<ColumnKind, string> = { text: 'text', int: 'int', bool: 'boolean', json: 'jsonb' };

function columns(table: ObjectTable<unknown>): string {
  return ['id', 'tenant_id', ...table.fields.map((f) => f.column), 'created_at', 'updated_at'].join(', ');
}

function param(field: Field, value: unknown): unknown {
  return field.kind === 'json' ? jsonParam(value) : (value ?? null);
}

export function toObject<T>(table: ObjectTable<T>, row: Record<string, unknown>): T {
  const out: Record<string, unknown> = { id: row.id, tenantId: row.tenant_id };
  for (const field of table.fields) {
    const value = row[field.column];
    out[field.key] = field.kind === 'int' && value !== null ? Number(value) : (value ?? null);
  }
  out.createdAt = iso(row.created_at as Date);
  out.updatedAt = iso(row.updated_at as Date);
  return out as T;
}

export async function listObjects<T>(db: SqlClient, table: ObjectTable<T>, tenantId: string): Promise<T[]> {
  const rows = await guarded(`list ${table.what}s`, () =>
    db.query<Record<string, unknown>>(`SELECT ${columns(table)} FROM ${table.table} WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]),
  );
  return rows.map((row) => toObject(table, row));
}

export async function getObject<T>(db: SqlClient, table: ObjectTable<T>, tenantId: string, id: string): Promise<T | null> {
  const [row] = await guarded(`get ${table.what}`, () =>
    db.query<Record<string, unknown>>(`SELECT ${columns(table)} FROM ${table.table} WHERE tenant_id = $1 AND id = $2`, [tenantId, id]),
  );
  return row ? toObject(table, row) : null;
}

export async function insertObject<T>(db: SqlClient, table: ObjectTable<T>, tenantId: string, values: Record<string, unknown>, meanings: ViolationMeanings): Promise<T> {
  const fields = table.fields.filter((f) => values[f.key] !== undefined);
  const params: unknown[] = [newId(table.idPrefix), tenantId, ...fields.map((f) => param(f, values[f.key]))];
  const names = ['id', 'tenant_id', ...fields.map((f) => f.column)];
  const placeholders = ['$1', '$2', ...fields.map((f, i) => `$${i + 3}::${CAST[f.kind]}`)];
  const [row] = await writing(`create ${table.what}`, meanings, () =>
    db.query<Record<string, unknown>>(`INSERT INTO ${table.table} (${names.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING ${columns(table)}`, params),
  );
  return toObject(table, row!);
}

/** Replaces the fields given (createOnly ones excepted); null when the tenant has no such object. */
export async function updateObject<T>(
  db: SqlClient,
  table: ObjectTable<T>,
  tenantId: string,
  id: string,
  values: Record<string, unknown>,
  meanings: ViolationMeanings,
  extraSet: string[] = [],
): Promise<T | null> {
  const fields = table.fields.filter((f) => !f.createOnly && values[f.key] !== undefined);
  const params: unknown[] = [tenantId, id, ...fields.map((f) => param(f, values[f.key]))];
  const sets = [...fields.map((f, i) => `${f.column} = $${i + 3}::${CAST[f.kind]}`), ...extraSet, 'updated_at = now()'];
  const [row] = await writing(`update ${table.what}`, meanings, () =>
    db.query<Record<string, unknown>>(`UPDATE ${table.table} SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2 RETURNING ${columns(table)}`, params),
  );
  return row ? toObject(table, row) : null;
}

export async function deleteObject(db: SqlClient, table: ObjectTable<unknown>, tenantId: string, id: string): Promise<boolean> {
  const rows = await guarded(`delete ${table.what}`, () => db.query(`DELETE FROM ${table.table} WHERE tenant_id = $1 AND id = $2 RETURNING id`, [tenantId, id]));
  return rows.length > 0;
}
