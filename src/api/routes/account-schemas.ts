import { z } from 'zod';
import { TENANT_ROLES } from '../../tenants/permissions.ts';

// Shapes of tenants, users, keys and audit entries as the API shows them (docs/tenants.md). No hash of a
// password, key or session ever appears in them.

const roles = ['operator', ...TENANT_ROLES] as const;
export const roleSchema = z.enum(roles);
export const tenantRoleSchema = z.enum(TENANT_ROLES);

export const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    timezone: z.string().describe('IANA time zone'),
    status: z.enum(['active', 'suspended']),
    settings: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Tenant' });

export const userSchema = z
  .object({
    id: z.string(),
    tenantId: z.string().nullable().describe('null: a platform operator'),
    email: z.string(),
    name: z.string(),
    role: roleSchema,
    extensions: z.array(z.string()).describe("an agent's own extensions: it sees the calls that touch them"),
    status: z.enum(['active', 'disabled']),
    createdAt: z.string(),
    updatedAt: z.string(),
    passwordChangedAt: z.string(),
  })
  .meta({ id: 'User' });

export const apiKeySchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    name: z.string(),
    role: tenantRoleSchema,
    prefix: z.string().describe("the key's first characters, to recognise it"),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
    lastUsedAt: z.string().nullable().describe('recorded within about 10 s'),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    tenantId: z.string().nullable(),
    at: z.string(),
    actor: z.object({ kind: z.enum(['user', 'api-key', 'platform-key', 'system']), id: z.string().nullable(), name: z.string() }),
    action: z.string(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .meta({ id: 'AuditEntry' });

export const emailSchema = z.string().trim().min(3).max(254).pipe(z.email());
export const passwordSchema = z.string().min(1).max(1024);
export const extensionsSchema = z.array(z.string().min(1).max(64).regex(/^[A-Za-z0-9+*#_.-]+$/, 'digits, letters, + * # _ . -')).max(100);
export const idParams = z.object({ id: z.string().min(1).max(64) });
