import { textArrayLiteral } from '../store/array-literal.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { guarded } from '../store/store-errors.ts';
import { USER_STATUSES, isRole, type Role, type User, type UserStatus } from './model.ts';
import { iso, invalid, newId, writing } from './repo-support.ts';

// Users of tenants and platform operators. The password hash is read only by findUserForLogin.

export interface NewUser {
  /** null: a platform operator (role 'operator'). */
  tenantId: string | null;
  email: string;
  name: string;
  role: Role;
  extensions?: string[];
  /** From hashPassword (passwords.ts). */
  passwordHash: string;
}

export interface UserPatch {
  name?: string;
  role?: Role;
  extensions?: string[];
  status?: UserStatus;
}

export interface UserRow {
  id: string;
  tenant_id: string | null;
  email: string;
  name: string;
  role: Role;
  extensions: string[];
  status: UserStatus;
  created_at: Date;
  updated_at: Date;
  password_changed_at: Date;
}

export const USER_COLUMNS = 'id, tenant_id, email, name, role, extensions, status, created_at, updated_at, password_changed_at';
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const EMAIL_TAKEN = { message: 'a user with this e-mail address already exists', field: 'email' };
const NO_TENANT = { message: 'no such tenant', field: 'tenantId' };
const MAX_EXTENSIONS = 100;

export function toUser(row: UserRow, prefix = ''): User {
  const r = row as unknown as Record<string, unknown>;
  const at = (name: string) => iso(r[prefix + name] as Date);
  return {
    id: r[`${prefix}id`] as string,
    tenantId: r[`${prefix}tenant_id`] as string | null,
    email: r[`${prefix}email`] as string,
    name: r[`${prefix}name`] as string,
    role: r[`${prefix}role`] as Role,
    extensions: r[`${prefix}extensions`] as string[],
    status: r[`${prefix}status`] as UserStatus,
    createdAt: at('created_at'),
    updatedAt: at('updated_at'),
    passwordChangedAt: at('password_changed_at'),
  };
}

/** E-mail addresses are compared and stored trimmed and lower-case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function checkUserFields(fields: UserPatch & { email?: string }): void {
  if (fields.email !== undefined && (!EMAIL.test(fields.email) || fields.email.length > 254)) {
    throw invalid('not an e-mail address', 'email');
  }
  if (fields.name !== undefined && (fields.name.trim().length === 0 || fields.name.length > 200)) {
    throw invalid('a name has 1 to 200 characters', 'name');
  }
  if (fields.role !== undefined && !isRole(fields.role)) throw invalid('unknown role', 'role');
  if (fields.status !== undefined && !USER_STATUSES.includes(fields.status)) throw invalid('unknown user status', 'status');
  if (fields.extensions !== undefined) {
    const bad = fields.extensions.length > MAX_EXTENSIONS || fields.extensions.some((ext) => typeof ext !== 'string' || ext.length === 0 || ext.length > 64);
    if (bad) throw invalid(`at most ${MAX_EXTENSIONS} extensions of 1 to 64 characters`, 'extensions');
  }
}

export async function createUser(db: SqlClient, input: NewUser): Promise<User> {
  const email = normalizeEmail(input.email);
  checkUserFields({ ...input, email });
  // The same rule as the users_operator_has_no_tenant constraint, with a message that says which way it failed.
  if (input.tenantId === null && input.role !== 'operator') throw invalid('a user without a tenant is an operator', 'role');
  if (input.tenantId !== null && input.role === 'operator') throw invalid('operators belong to no tenant', 'role');
  if (input.passwordHash.length === 0) throw invalid('a password hash is required', 'passwordHash');
  const [row] = await writing('createUser', { conflict: EMAIL_TAKEN, missing: NO_TENANT }, () =>
    db.query<UserRow>(
      `INSERT INTO users (id, tenant_id, email, name, role, extensions, password_hash)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7)
       RETURNING ${USER_COLUMNS}`,
      [newId('u_'), input.tenantId, email, input.name.trim(), input.role, textArrayLiteral(input.extensions ?? []), input.passwordHash],
    ),
  );
  return toUser(row!);
}

export async function getUser(db: SqlClient, id: string): Promise<User | null> {
  const [row] = await guarded('getUser', () => db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]));
  return row ? toUser(row) : null;
}

/** The user with this address (any case) and its password hash, disabled users included: the caller refuses them. */
export async function findUserForLogin(db: SqlClient, email: string): Promise<{ user: User; passwordHash: string } | null> {
  const [row] = await guarded('findUserForLogin', () =>
    db.query<UserRow & { password_hash: string }>(`SELECT ${USER_COLUMNS}, password_hash FROM users WHERE email = $1`, [normalizeEmail(email)]),
  );
  return row ? { user: toUser(row), passwordHash: row.password_hash } : null;
}

/** Users of every tenant and operators, all of them: none means the API may still be open (authenticate.ts). */
export async function countUsers(db: SqlClient): Promise<number> {
  const [row] = await guarded('countUsers', () => db.query<{ n: number }>('SELECT count(*)::int AS n FROM users'));
  return row?.n ?? 0;
}

/** A tenant's users, or with null the platform operators. */
export async function listUsers(db: SqlClient, tenantId: string | null): Promise<User[]> {
  const rows = await guarded('listUsers', () =>
    db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE tenant_id IS NOT DISTINCT FROM $1 ORDER BY email`, [tenantId]),
  );
  return rows.map((row) => toUser(row));
}

/** Applies the fields given; null when there is no such user. Making a tenant user an operator (or back) is refused. */
export async function updateUser(db: SqlClient, id: string, patch: UserPatch): Promise<User | null> {
  checkUserFields(patch);
  const [row] = await writing('updateUser', {}, () =>
    db.query<UserRow>(
      `UPDATE users SET
         name = COALESCE($2::text, name),
         role = COALESCE($3::text, role),
         extensions = COALESCE($4::text[], extensions),
         status = COALESCE($5::text, status),
         updated_at = now()
       WHERE id = $1
       RETURNING ${USER_COLUMNS}`,
      [id, patch.name?.trim() ?? null, patch.role ?? null, patch.extensions ? textArrayLiteral(patch.extensions) : null, patch.status ?? null],
    ),
  );
  return row ? toUser(row) : null;
}

/** Stores a new hash and when it changed; ending the user's other sessions is the caller's next step. */
export async function setPasswordHash(db: SqlClient, id: string, passwordHash: string): Promise<boolean> {
  if (passwordHash.length === 0) throw invalid('a password hash is required', 'passwordHash');
  const rows = await guarded('setPasswordHash', () =>
    db.query('UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1 RETURNING id', [
      id,
      passwordHash,
    ]),
  );
  return rows.length > 0;
}

/** Deletes the user and, with it, its sessions. */
export async function deleteUser(db: SqlClient, id: string): Promise<boolean> {
  const rows = await guarded('deleteUser', () => db.query('DELETE FROM users WHERE id = $1 RETURNING id', [id]));
  return rows.length > 0;
}
