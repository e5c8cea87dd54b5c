import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TenantStore } from '../../tenants/tenant-store.ts';
import { principalOf } from '../auth.ts';
import { idPageQuery, nextIdCursor } from '../schemas.ts';
import { auditEntrySchema } from './account-schemas.ts';

// GET /api/audit: who changed what, newest first: the tenant's entries, or for an operator acting in no
// tenant every entry. Secrets never reach the log (they are masked before an entry is written).

export function auditRoutes(deps: { tenants: TenantStore }): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/audit',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags: ['audit'],
          summary: 'Configuration changes, newest first',
          querystring: idPageQuery,
          response: { 200: z.object({ items: z.array(auditEntrySchema), nextCursor: z.number().int().nullable() }) },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const tenantId = principalOf(request).tenantId ?? 'all';
        const items = await deps.tenants.listAudit({ tenantId, limit, ...(cursor === undefined ? {} : { before: cursor }) });
        return { items, nextCursor: nextIdCursor(items, limit) };
      },
    );
  };
}
