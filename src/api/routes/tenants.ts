import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TenantStore } from '../../tenants/tenant-store.ts';
import { principalOf } from '../auth.ts';
import { errorSchema } from '../schemas.ts';
import { idParams, tenantSchema } from './account-schemas.ts';
import { audited, notFound } from './account-support.ts';

// Tenants, the rules that give calls to them and the numbers they own: the platform operator's (permission
// tenants:manage). Changes are audited under the tenant they change, so its owners see them too. A tenant is
// never deleted: it is suspended (its calls are still recorded; its users and keys are refused).

const slug = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and -, at most 63');
const createBody = z.object({
  name: z.string().trim().min(1).max(200),
  slug,
  timezone: z.string().min(1).max(64).default('UTC'),
  settings: z.record(z.string(), z.unknown()).optional(),
});
const patchBody = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  slug: slug.optional(),
  timezone: z.string().min(1).max(64).optional(),
  status: z.enum(['active', 'suspended']).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});
const matchSchema = z
  .object({
    server: z.string().min(1).max(200).optional(),
    context: z.string().min(1).max(200).optional(),
    endpoint: z.string().min(1).max(200).optional().describe('glob with * and ?, on the endpoint with or without its technology (PJSIP/acme-*)'),
    calledNumber: z.boolean().optional().describe("the called number is one of this tenant's numbers"),
  })
  .strict()
  .meta({ id: 'TenantRuleMatch' });
const rulesBody = z.object({ rules: z.array(matchSchema).max(500) });
const ruleSchema = z.object({ id: z.number().int(), tenantId: z.string(), position: z.number().int(), match: matchSchema }).meta({ id: 'TenantRule' });
const numberSchema = z.object({ number: z.string(), tenantId: z.string(), label: z.string().nullable(), createdAt: z.string() }).meta({ id: 'TenantNumber' });
const numberBody = z.object({ number: z.string().trim().min(1).max(64).regex(/^\+?[0-9A-Za-z*#]+$/, 'digits, optionally a leading +'), label: z.string().max(200).nullable().optional() });
const numberParams = idParams.extend({ number: z.string().min(1).max(64) });

export interface TenantRouteDeps {
  tenants: TenantStore;
  /** Rules or numbers changed: the engine takes the new set for the calls that start from now on. */
  onRulesChanged: () => Promise<void>;
}

export function tenantRoutes(deps: TenantRouteDeps): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { tenants } = deps;
    const manage = { permission: 'tenants:manage' } as const;

    async function existing(id: string) {
      const tenant = await tenants.getTenant(id);
      if (tenant === null) throw notFound('tenant', id);
      return tenant;
    }

    r.get('/api/tenants', { config: manage, schema: { tags: ['tenants'], summary: 'Every tenant', response: { 200: z.object({ items: z.array(tenantSchema) }) } } }, async () => ({
      items: await tenants.listTenants(),
    }));

    r.post(
      '/api/tenants',
      { config: manage, schema: { tags: ['tenants'], summary: 'Create a tenant', body: createBody, response: { 201: tenantSchema, 400: errorSchema, 409: errorSchema } } },
      async (request, reply) => {
        const principal = principalOf(request);
        const tenant = await audited(tenants, principal, { tenantId: null, action: 'tenant.created', targetType: 'tenant' }, (tx) => tx.createTenant(request.body));
        return reply.code(201).send(tenant);
      },
    );

    r.get('/api/tenants/:id', { config: manage, schema: { tags: ['tenants'], summary: 'One tenant', params: idParams, response: { 200: tenantSchema, 404: errorSchema } } }, async (request) =>
      existing(request.params.id),
    );

    r.patch(
      '/api/tenants/:id',
      {
        config: manage,
        schema: { tags: ['tenants'], summary: 'Rename, re-slug, change the time zone or settings, suspend or reactivate a tenant', params: idParams, body: patchBody, response: { 200: tenantSchema, 404: errorSchema } },
      },
      async (request) => {
        const before = await existing(request.params.id);
        const action = request.body.status !== undefined && request.body.status !== before.status ? `tenant.${request.body.status === 'suspended' ? 'suspended' : 'reactivated'}` : 'tenant.updated';
        const tenant = await audited(tenants, principalOf(request), { tenantId: before.id, action, targetType: 'tenant', targetId: before.id, before }, async (tx) => {
          const updated = await tx.updateTenant(before.id, request.body);
          if (updated === null) throw notFound('tenant', before.id);
          return updated;
        });
        app.door.forgetTenant(tenant.id);
        return tenant;
      },
    );

    r.get(
      '/api/tenants/:id/rules',
      { config: manage, schema: { tags: ['tenants'], summary: "The tenant's call rules, in the order they are tried", params: idParams, response: { 200: z.object({ items: z.array(ruleSchema) }) } } },
      async (request) => {
        await existing(request.params.id);
        return { items: (await tenants.listRules()).filter((rule) => rule.tenantId === request.params.id) };
      },
    );

    r.put(
      '/api/tenants/:id/rules',
      {
        config: manage,
        schema: { tags: ['tenants'], summary: "Replace the tenant's call rules (tried in this order, after other tenants' earlier rules by position)", params: idParams, body: rulesBody, response: { 200: z.object({ items: z.array(ruleSchema) }), 400: errorSchema } },
      },
      async (request) => {
        const tenant = await existing(request.params.id);
        const before = (await tenants.listRules()).filter((rule) => rule.tenantId === tenant.id).map((rule) => rule.match);
        const items = await audited(tenants, principalOf(request), { tenantId: tenant.id, action: 'tenant.rules_replaced', targetType: 'tenant', targetId: tenant.id, before }, (tx) => tx.replaceRules(tenant.id, request.body.rules), (rules) => rules.map((rule) => rule.match));
        await deps.onRulesChanged();
        return { items };
      },
    );

    r.get(
      '/api/tenants/:id/numbers',
      { config: manage, schema: { tags: ['tenants'], summary: 'Numbers the tenant owns', params: idParams, response: { 200: z.object({ items: z.array(numberSchema) }) } } },
      async (request) => {
        await existing(request.params.id);
        return { items: await tenants.listNumbers(request.params.id) };
      },
    );

    r.post(
      '/api/tenants/:id/numbers',
      { config: manage, schema: { tags: ['tenants'], summary: 'Give a number to the tenant (a number has one owner)', params: idParams, body: numberBody, response: { 201: numberSchema, 409: errorSchema } } },
      async (request, reply) => {
        const tenant = await existing(request.params.id);
        const added = await audited(tenants, principalOf(request), { tenantId: tenant.id, action: 'tenant.number_added', targetType: 'number', targetId: request.body.number }, (tx) =>
          tx.addNumber(tenant.id, request.body.number, request.body.label ?? null),
        );
        await deps.onRulesChanged();
        return reply.code(201).send(added);
      },
    );

    r.delete(
      '/api/tenants/:id/numbers/:number',
      { config: manage, schema: { tags: ['tenants'], summary: 'Take a number from the tenant', params: numberParams, response: { 204: z.null(), 404: errorSchema } } },
      async (request, reply) => {
        const tenant = await existing(request.params.id);
        const { number } = request.params;
        await audited(tenants, principalOf(request), { tenantId: tenant.id, action: 'tenant.number_removed', targetType: 'number', targetId: number }, async (tx) => {
          if (!(await tx.removeNumber(tenant.id, number))) throw notFound('number', number);
          return null;
        });
        await deps.onRulesChanged();
        return reply.code(204).send(null);
      },
    );
  };
}
