import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, ERROR_CODES } from '../../errors.ts';
import { mayGrant } from '../../tenants/permissions.ts';
import { actorOf } from '../../tenants/principal.ts';
import type { TenantStore } from '../../tenants/tenant-store.ts';
import { newApiKey } from '../../tenants/tokens.ts';
import { errorSchema } from '../schemas.ts';
import { apiKeySchema, idParams, tenantRoleSchema } from './account-schemas.ts';
import { audited, managedTenant, notFound } from './account-support.ts';

// A tenant's API keys (permission keys:manage). A key is shown once, when it is created; the engine keeps
// only its hash. Revoked keys stay listed, with when they were revoked.

const createBody = z.object({ name: z.string().trim().min(1).max(100), role: tenantRoleSchema });
const createdSchema = apiKeySchema.extend({ key: z.string().describe('the key itself: shown this once, stored nowhere') }).meta({ id: 'CreatedApiKey' });

export function keyRoutes(deps: { tenants: TenantStore }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { tenants } = deps;

    r.get(
      '/api/keys',
      { config: { permission: 'keys:manage' }, schema: { tags: ['keys'], summary: "The tenant's API keys (never the keys themselves)", response: { 200: z.object({ items: z.array(apiKeySchema) }) } } },
      async (request) => ({ items: await tenants.listApiKeys(managedTenant(request).tenantId) }),
    );

    r.post(
      '/api/keys',
      {
        config: { permission: 'keys:manage' },
        schema: { tags: ['keys'], summary: 'Create an API key with a role; the key is in this answer only', body: createBody, response: { 201: createdSchema, 400: errorSchema } },
      },
      async (request, reply) => {
        const { principal, tenantId } = managedTenant(request);
        const { name, role } = request.body;
        if (!mayGrant(principal.role, role)) throw new AppError(ERROR_CODES.FORBIDDEN, `a ${principal.role} may not make a ${role} key`);
        const { key, prefix, hash } = newApiKey();
        const info = await audited(tenants, principal, { tenantId, action: 'api_key.created', targetType: 'api_key' }, (tx) =>
          tx.createApiKey({ tenantId, name, role, keyHash: hash, prefix, createdBy: actorOf(principal).name }),
        );
        void reply.header('cache-control', 'no-store');
        return reply.code(201).send({ ...info, key });
      },
    );

    r.delete(
      '/api/keys/:id',
      { config: { permission: 'keys:manage' }, schema: { tags: ['keys'], summary: 'Revoke an API key: refused from now on', params: idParams, response: { 204: z.null(), 404: errorSchema } } },
      async (request, reply) => {
        const { principal, tenantId } = managedTenant(request);
        const { id } = request.params;
        const revoked = await audited(tenants, principal, { tenantId, action: 'api_key.revoked', targetType: 'api_key', targetId: id }, async (tx) => {
          if (!(await tx.revokeApiKey(tenantId, id))) throw notFound('API key', id);
          return null;
        });
        void revoked;
        // The key's hash is not at hand here: every cached key answer goes, so the revocation holds at once.
        app.door.forgetAllKeys();
        return reply.code(204).send(null);
      },
    );
  };
}
