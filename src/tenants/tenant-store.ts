import type { SqlClient } from '../store/sql-client.ts';
import * as audit from './audit-repo.ts';
import * as keys from './key-repo.ts';
import type {
  ApiKeyInfo,
  AuditEntry,
  NewAuditEntry,
  SessionInfo,
  Tenant,
  TenantCrmSettings,
  TenantNumber,
  TenantRule,
  User,
} from './model.ts';
import * as routing from './routing-repo.ts';
import * as sessions from './session-repo.ts';
import * as tenants from './tenant-repo.ts';
import * as users from './user-repo.ts';

export type { AuditQuery } from './audit-repo.ts';
export type { NewApiKey } from './key-repo.ts';
export type { NewSession } from './session-repo.ts';
export type { NewTenant, TenantPatch } from './tenant-repo.ts';
export type { NewUser, UserPatch } from './user-repo.ts';

/**
 * Tenants, their rules and numbers, users, sessions, API keys, CRM settings and the audit log, over one
 * SqlClient. Each method is one statement (replaceRules: one transaction).
 *
 * A change and its audit entry belong in one transaction, so that neither is stored without the other:
 *
 *     await store.transaction(async (tx) => {
 *       const tenant = await tx.updateTenant(id, patch);
 *       await tx.appendAudit({ ... });
 *     });
 *
 * `tx` is a TenantStore bound to the open transaction; inside `fn` use it only (the embedded database runs
 * one thing at a time, so the outer store would wait for this very transaction). appendAudit also takes a
 * SqlClient, to join a transaction some other code opened.
 */
export class TenantStore {
  constructor(readonly sql: SqlClient) {}

  /** Runs `fn` in one transaction with a store bound to it; rolls back when `fn` throws. Nested calls join. */
  transaction<T>(fn: (tx: TenantStore) => Promise<T>): Promise<T> {
    return this.sql.transaction((tx) => fn(new TenantStore(tx)));
  }

  // Tenants and their CRM settings

  listTenants(): Promise<Tenant[]> {
    return tenants.listTenants(this.sql);
  }
  getTenant(id: string): Promise<Tenant | null> {
    return tenants.getTenant(this.sql, id);
  }
  /** CF_CONFLICT when the slug is taken, CF_REQUEST_INVALID for a bad slug, name or time zone. */
  createTenant(input: tenants.NewTenant): Promise<Tenant> {
    return tenants.createTenant(this.sql, input);
  }
  updateTenant(id: string, patch: tenants.TenantPatch): Promise<Tenant | null> {
    return tenants.updateTenant(this.sql, id, patch);
  }
  getTenantCrm(tenantId: string): Promise<TenantCrmSettings | null> {
    return tenants.getTenantCrm(this.sql, tenantId);
  }
  listTenantCrm(): Promise<(TenantCrmSettings & { tenantId: string })[]> {
    return tenants.listTenantCrm(this.sql);
  }
  putTenantCrm(tenantId: string, config: unknown): Promise<TenantCrmSettings> {
    return tenants.putTenantCrm(this.sql, tenantId, config);
  }

  // Rules and numbers

  listRules(): Promise<TenantRule[]> {
    return routing.listRules(this.sql);
  }
  replaceRules(tenantId: string, matches: readonly unknown[]): Promise<TenantRule[]> {
    return routing.replaceRules(this.sql, tenantId, matches);
  }
  listNumbers(tenantId?: string): Promise<TenantNumber[]> {
    return routing.listNumbers(this.sql, tenantId);
  }
  /** CF_CONFLICT when another tenant owns the number. */
  addNumber(tenantId: string, number: string, label?: string | null): Promise<TenantNumber> {
    return routing.addNumber(this.sql, tenantId, number, label);
  }
  removeNumber(tenantId: string, number: string): Promise<boolean> {
    return routing.removeNumber(this.sql, tenantId, number);
  }

  // Users

  /** CF_CONFLICT when the e-mail address is taken (in any case). */
  createUser(input: users.NewUser): Promise<User> {
    return users.createUser(this.sql, input);
  }
  getUser(id: string): Promise<User | null> {
    return users.getUser(this.sql, id);
  }
  findUserForLogin(email: string): Promise<{ user: User; passwordHash: string } | null> {
    return users.findUserForLogin(this.sql, email);
  }
  listUsers(tenantId: string | null): Promise<User[]> {
    return users.listUsers(this.sql, tenantId);
  }
  updateUser(id: string, patch: users.UserPatch): Promise<User | null> {
    return users.updateUser(this.sql, id, patch);
  }
  setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    return users.setPasswordHash(this.sql, id, passwordHash);
  }
  deleteUser(id: string): Promise<boolean> {
    return users.deleteUser(this.sql, id);
  }
  countUsers(): Promise<number> {
    return users.countUsers(this.sql);
  }

  // Sessions

  createSession(input: sessions.NewSession): Promise<SessionInfo> {
    return sessions.createSession(this.sql, input);
  }
  getSession(tokenHash: string, now: Date): Promise<{ session: SessionInfo; user: User } | null> {
    return sessions.getSession(this.sql, tokenHash, now);
  }
  touchSession(tokenHash: string, now: Date, newExpiresAt: Date): Promise<boolean> {
    return sessions.touchSession(this.sql, tokenHash, now, newExpiresAt);
  }
  setSessionTenant(tokenHash: string, tenantId: string | null): Promise<boolean> {
    return sessions.setSessionTenant(this.sql, tokenHash, tenantId);
  }
  deleteSession(tokenHash: string): Promise<boolean> {
    return sessions.deleteSession(this.sql, tokenHash);
  }
  deleteUserSessions(userId: string, exceptTokenHash?: string): Promise<number> {
    return sessions.deleteUserSessions(this.sql, userId, exceptTokenHash);
  }
  purgeExpiredSessions(now: Date): Promise<number> {
    return sessions.purgeExpiredSessions(this.sql, now);
  }

  // API keys

  createApiKey(input: keys.NewApiKey): Promise<ApiKeyInfo> {
    return keys.createApiKey(this.sql, input);
  }
  findApiKey(keyHash: string): Promise<ApiKeyInfo | null> {
    return keys.findApiKey(this.sql, keyHash);
  }
  listApiKeys(tenantId: string): Promise<ApiKeyInfo[]> {
    return keys.listApiKeys(this.sql, tenantId);
  }
  revokeApiKey(tenantId: string, id: string): Promise<boolean> {
    return keys.revokeApiKey(this.sql, tenantId, id);
  }
  touchApiKeys(lastUsed: ReadonlyMap<string, Date | string>): Promise<number> {
    return keys.touchApiKeys(this.sql, lastUsed);
  }

  // Audit

  appendAudit(entry: NewAuditEntry, client?: SqlClient): Promise<number> {
    return audit.appendAudit(client ?? this.sql, entry);
  }
  listAudit(query: audit.AuditQuery): Promise<AuditEntry[]> {
    return audit.listAudit(this.sql, query);
  }
}
