import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { User } from '../../tenants/model.ts';
import { hashPassword, validatePassword } from '../../tenants/passwords.ts';
import { mayGrant, type Role } from '../../tenants/permissions.ts';
import type { Principal } from '../../tenants/principal.ts';
import type { TenantStore } from '../../tenants/tenant-store.ts';
import { principalOf } from '../auth.ts';
import { errorSchema } from '../schemas.ts';
import { emailSchema, extensionsSchema, idParams, passwordSchema, roleSchema, userSchema } from './account-schemas.ts';
import { audited, notFound } from './account-support.ts';

// A tenant's users (permission users:manage), or, for an operator acting in no tenant, the platform's
// operators. An admin manages everyone but owners; nobody removes, disables or demotes themselves.

const createBody = z.object({
  email: emailSchema,
  name: z.string().trim().min(1).max(200),
  role: roleSchema,
  extensions: extensionsSchema.default([]),
  password: passwordSchema,
});
const patchBody = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  role: roleSchema.optional(),
  extensions: extensionsSchema.optional(),
  status: z.enum(['active', 'disabled']).optional(),
});
const resetBody = z.object({ password: passwordSchema });

export function userRoutes(deps: { tenants: TenantStore }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { tenants } = deps;

    /** The user `id` as this principal may manage it, or 404 (another tenant's user is not there for it). */
    async function managed(principal: Principal, id: string): Promise<User> {
      const user = await tenants.getUser(id);
      if (user === null || user.tenantId !== principal.tenantId) throw notFound('user', id);
      if (!mayGrant(principal.role, user.role)) throw new AppError(ERROR_CODES.FORBIDDEN, `a ${principal.role} may not manage a ${user.role}`);
      return user;
    }

    function checkRole(principal: Principal, role: Role): void {
      const platform = principal.tenantId === null;
      if (platform !== (role === 'operator')) {
        throw new AppError(ERROR_CODES.REQUEST_INVALID, platform ? 'users without a tenant are operators' : 'a tenant user cannot be an operator', { details: [{ path: 'role' }] });
      }
      if (!mayGrant(principal.role, role)) throw new AppError(ERROR_CODES.FORBIDDEN, `a ${principal.role} may not make a ${role}`);
    }

    function checkPassword(password: string, path: string): void {
      const problem = validatePassword(password);
      if (problem !== null) throw new AppError(ERROR_CODES.REQUEST_INVALID, problem, { details: [{ path, message: problem }] });
    }

    r.get(
      '/api/users',
      { config: { permission: 'users:manage' }, schema: { tags: ['users'], summary: "The tenant's users (an operator in no tenant: the operators)", response: { 200: z.object({ items: z.array(userSchema) }) } } },
      async (request) => ({ items: await tenants.listUsers(principalOf(request).tenantId) }),
    );

    r.post(
      '/api/users',
      {
        config: { permission: 'users:manage' },
        schema: { tags: ['users'], summary: 'Create a user of the tenant', body: createBody, response: { 201: userSchema, 400: errorSchema, 409: errorSchema } },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { password, ...fields } = request.body;
        checkRole(principal, fields.role);
        checkPassword(password, 'password');
        const passwordHash = await hashPassword(password);
        const user = await audited(tenants, principal, { tenantId: principal.tenantId, action: 'user.created', targetType: 'user' }, (tx) =>
          tx.createUser({ ...fields, tenantId: principal.tenantId, passwordHash }),
        );
        app.door.usersChanged();
        return reply.code(201).send(user);
      },
    );

    r.get(
      '/api/users/:id',
      { config: { permission: 'users:manage' }, schema: { tags: ['users'], summary: 'One user', params: idParams, response: { 200: userSchema, 404: errorSchema } } },
      async (request) => managed(principalOf(request), request.params.id),
    );

    r.patch(
      '/api/users/:id',
      {
        config: { permission: 'users:manage' },
        schema: { tags: ['users'], summary: "Change a user's name, role, extensions or status", params: idParams, body: patchBody, response: { 200: userSchema, 404: errorSchema } },
      },
      async (request) => {
        const principal = principalOf(request);
        const before = await managed(principal, request.params.id);
        const patch = request.body;
        if (patch.role !== undefined) checkRole(principal, patch.role);
        if (principal.kind === 'user' && principal.userId === before.id && ((patch.role !== undefined && patch.role !== before.role) || patch.status === 'disabled')) {
          throw new AppError(ERROR_CODES.REQUEST_INVALID, 'you cannot change your own role or disable yourself');
        }
        const user = await audited(tenants, principal, { tenantId: before.tenantId, action: 'user.updated', targetType: 'user', targetId: before.id, before }, async (tx) => {
          const updated = await tx.updateUser(before.id, patch);
          if (updated === null) throw notFound('user', before.id);
          return updated;
        });
        app.door.usersChanged();
        return user;
      },
    );

    r.delete(
      '/api/users/:id',
      { config: { permission: 'users:manage' }, schema: { tags: ['users'], summary: 'Delete a user; its sessions end', params: idParams, response: { 204: z.null(), 404: errorSchema } } },
      async (request, reply) => {
        const principal = principalOf(request);
        const before = await managed(principal, request.params.id);
        if (principal.kind === 'user' && principal.userId === before.id) throw new AppError(ERROR_CODES.REQUEST_INVALID, 'you cannot delete yourself');
        await audited(tenants, principal, { tenantId: before.tenantId, action: 'user.deleted', targetType: 'user', targetId: before.id, before }, (tx) => tx.deleteUser(before.id), () => null);
        app.door.usersChanged();
        return reply.code(204).send(null);
      },
    );

    r.post(
      '/api/users/:id/password',
      {
        config: { permission: 'users:manage' },
        schema: { tags: ['users'], summary: "Set a user's password; its sessions end", params: idParams, body: resetBody, response: { 204: z.null(), 404: errorSchema } },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const user = await managed(principal, request.params.id);
        checkPassword(request.body.password, 'password');
        const hash = await hashPassword(request.body.password);
        await audited(tenants, principal, { tenantId: user.tenantId, action: 'user.password_set', targetType: 'user', targetId: user.id }, async (tx) => {
          await tx.setPasswordHash(user.id, hash);
          await tx.deleteUserSessions(user.id);
        }, () => null);
        app.door.usersChanged();
        return reply.code(204).send(null);
      },
    );
  };
}
