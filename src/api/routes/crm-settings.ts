import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { TenantCrmEntry } from '../../crm/tenant-crms.ts';
import { DEFAULT_TENANT } from '../../crm/tenant-sinks.ts';
import {
  keepSecrets,
  markersLeft,
  maskSettings,
  openSettings,
  sealSettings,
  SECRET_MARKER,
  validSettings,
  type TenantCrmSettings,
} from '../../crm/tenant-settings.ts';
import type { TenantStore } from '../../tenants/tenant-store.ts';
import { errorSchema } from '../schemas.ts';
import { audited, managedTenant } from './account-support.ts';

// The calling tenant's CRM and webhook settings. Secrets go in, never out: answers and audit entries show
// each one as the marker, and a PUT that sends the marker back (or leaves the field out) keeps it.

export interface CrmSettingsDeps {
  secretsKey: Buffer;
  /** The tenant's CRM as it runs now (its sinks' problem, if any). */
  current(tenantId: string): TenantCrmEntry | null;
  /** The environment's settings: the default tenant's while it has none stored. */
  environment: TenantCrmSettings;
  /** Rebuilds the tenant's sinks from what was just stored. */
  apply(tenantId: string, stored: unknown): void;
}

const secretNote = `Every secret (a webhook's secret; bitrix24.webhookUrl, applicationToken; oauth clientSecret, accessToken, refreshToken, applicationToken) reads as "${SECRET_MARKER}"`;
const settingsSchema = z
  .object({
    webhooks: z.array(z.record(z.string(), z.unknown())).describe('Signed webhooks: name, url, secret, events, rate (docs/crm.md)'),
    bitrix24: z.record(z.string(), z.unknown()).nullable().describe('Bitrix24: webhookUrl or oauth, userMap, showCard, … (docs/crm.md); null: none'),
  })
  .describe(secretNote);
const answerSchema = z
  .object({
    tenantId: z.string(),
    inherited: z.boolean().describe("The default tenant's settings come from the environment (nothing stored for it)"),
    updatedAt: z.string().nullable(),
    settings: settingsSchema,
    problem: z.string().nullable().describe('Why the sinks cannot deliver (CF_SECRET_UNREADABLE), or null'),
  })
  .meta({ id: 'CrmSettings' });
const putBody = z
  .object({
    webhooks: z.array(z.record(z.string(), z.unknown())).optional(),
    bitrix24: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .describe(`${secretNote}; send it back, or leave the field out, to keep the stored secret`);

function shown(settings: unknown): z.infer<typeof settingsSchema> {
  const masked = maskSettings(settings);
  return { webhooks: (masked.webhooks as Record<string, unknown>[] | undefined) ?? [], bitrix24: (masked.bitrix24 as Record<string, unknown> | undefined) ?? null };
}

export function crmSettingsRoutes(deps: { tenants: TenantStore; crm: CrmSettingsDeps }): FastifyPluginAsync {
  const { tenants, crm } = deps;

  async function answer(tenantId: string): Promise<z.infer<typeof answerSchema>> {
    const row = await tenants.getTenantCrm(tenantId);
    const problem = crm.current(tenantId)?.problem ?? null;
    if (row) return { tenantId, inherited: false, updatedAt: row.updatedAt, settings: shown(row.config), problem };
    if (tenantId === DEFAULT_TENANT) return { tenantId, inherited: true, updatedAt: null, settings: shown(crm.environment), problem };
    return { tenantId, inherited: false, updatedAt: null, settings: { webhooks: [], bitrix24: null }, problem };
  }

  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/api/settings/crm',
      { config: { permission: 'settings:read' }, schema: { tags: ['settings'], summary: "The tenant's CRM and webhook settings, secrets masked", response: { 200: answerSchema } } },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store');
        return answer(managedTenant(request).tenantId);
      },
    );

    r.put(
      '/api/settings/crm',
      {
        config: { permission: 'settings:write' },
        schema: { tags: ['settings'], summary: "Replace the tenant's CRM and webhook settings; its sinks are rebuilt at once", body: putBody, response: { 200: answerSchema, 400: errorSchema } },
      },
      async (request, reply) => {
        const { principal, tenantId } = managedTenant(request);
        const row = await tenants.getTenantCrm(tenantId);
        let previous: TenantCrmSettings | null = null;
        if (row) {
          try {
            previous = openSettings(row.config, crm.secretsKey);
          } catch (err) {
            // Secrets that no longer open cannot be kept: the request has to send each of them again.
            if (!(err instanceof AppError) || err.code !== ERROR_CODES.SECRET_UNREADABLE) throw err;
          }
        } else if (tenantId === DEFAULT_TENANT) {
          previous = crm.environment;
        }
        const body = { ...request.body, bitrix24: request.body.bitrix24 ?? undefined };
        const kept = keepSecrets(body, previous);
        const left = markersLeft(kept);
        if (left.length > 0) {
          throw new AppError(ERROR_CODES.REQUEST_INVALID, `no stored secret to keep for ${left.join(', ')}: send the secret itself`, { details: { fields: left } });
        }
        const settings = validSettings(kept);
        const sealed = sealSettings(settings, crm.secretsKey);
        const before = row ? shown(row.config) : tenantId === DEFAULT_TENANT ? { ...shown(crm.environment), inherited: true } : null;
        await audited(
          tenants,
          principal,
          { tenantId, action: 'crm_settings.updated', targetType: 'tenant_crm', targetId: tenantId, before },
          (tx) => tx.putTenantCrm(tenantId, sealed),
          () => shown(settings),
        );
        crm.apply(tenantId, sealed);
        void reply.header('cache-control', 'no-store');
        return answer(tenantId);
      },
    );
  };
}
