import { z } from 'zod';
import { AppError, ERROR_CODES } from '../errors.ts';
import { isSealed, openSecret, sealSecret } from '../tenants/secret-box.ts';
import { bitrix24Schema, webhookSchema, type CrmConfig } from './config.ts';

// A tenant's CRM settings: the `webhooks` and `bitrix24` parts of the CRM configuration (the outbox stays
// engine-wide). Stored in `tenant_crm.config` with every secret sealed; shown with every secret masked.

export const tenantCrmSettingsSchema = z
  .object({
    webhooks: z.array(webhookSchema).default([]),
    bitrix24: bitrix24Schema.optional(),
  })
  .refine((c) => new Set(c.webhooks.map((w) => w.name)).size === c.webhooks.length, {
    message: 'webhook names must be unique',
    path: ['webhooks'],
  });

export type TenantCrmSettings = Pick<CrmConfig, 'webhooks' | 'bitrix24'>;

/** What a secret reads as in answers and audit entries; sent back in a PUT, it keeps the stored secret. */
export const SECRET_MARKER = '********';

type Json = Record<string, unknown>;

/** The secret fields, as paths from the settings' root (`*`: every webhook). */
const SECRET_PATHS: readonly (readonly string[])[] = [
  ['webhooks', '*', 'secret'],
  ['bitrix24', 'webhookUrl'],
  ['bitrix24', 'applicationToken'],
  ['bitrix24', 'oauth', 'clientSecret'],
  ['bitrix24', 'oauth', 'accessToken'],
  ['bitrix24', 'oauth', 'refreshToken'],
  ['bitrix24', 'oauth', 'applicationToken'],
];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A deep copy with every secret that is set replaced by `fn(value, where)`. */
function mapSecrets(settings: unknown, fn: (value: string, where: string) => unknown): Json {
  const copy = structuredClone(settings ?? {}) as Json;
  const walk = (node: unknown, path: readonly string[], where: string): void => {
    const [head, ...rest] = path;
    if (head === undefined) return;
    if (head === '*') {
      if (Array.isArray(node)) node.forEach((item, i) => walk(item, rest, `${where}.${i}`));
      return;
    }
    if (!isObject(node)) return;
    if (rest.length > 0) return walk(node[head], rest, `${where}.${head}`);
    if (typeof node[head] === 'string') node[head] = fn(node[head], `${where}.${head}`.slice(1));
  };
  for (const path of SECRET_PATHS) walk(copy, path, '');
  return copy;
}

/** Settings as an answer or an audit entry may show them: secrets (plain or sealed) as the marker. */
export function maskSettings(settings: unknown): Json {
  return mapSecrets(settings, () => SECRET_MARKER);
}

export function sealSettings(settings: TenantCrmSettings, key: Buffer): Json {
  return mapSecrets(settings, (value) => sealSecret(value, key));
}

/** The stored settings with their secrets opened; CF_SECRET_UNREADABLE (naming the field) when one does not open. */
export function openSettings(stored: unknown, key: Buffer): TenantCrmSettings {
  const opened = mapSecrets(stored, (value, where) => {
    if (!isSealed(value)) throw new AppError(ERROR_CODES.SECRET_UNREADABLE, `the stored ${where} is not sealed`);
    try {
      return openSecret(value, key);
    } catch (err) {
      throw new AppError(ERROR_CODES.SECRET_UNREADABLE, `${where}: ${(err as Error).message}`);
    }
  });
  return validSettings(opened, 'stored CRM settings');
}

/**
 * The stored settings as far as planning needs them (names, events, card mode), without opening a secret:
 * what lets a tenant's deliveries still be queued while its secrets cannot be read.
 */
export function plannableSettings(stored: unknown): TenantCrmSettings {
  const s = isObject(stored) ? stored : {};
  return { webhooks: Array.isArray(s.webhooks) ? (s.webhooks as TenantCrmSettings['webhooks']) : [], bitrix24: isObject(s.bitrix24) ? (s.bitrix24 as TenantCrmSettings['bitrix24']) : undefined };
}

/**
 * A PUT's settings with each secret it sends as the marker, or leaves out, taken from the current ones
 * (webhooks matched by name). `current` holds plaintext secrets, or null when there are none to keep.
 */
export function keepSecrets(input: unknown, current: TenantCrmSettings | null): unknown {
  if (!isObject(input)) return input;
  const kept = structuredClone(input);
  const keep = (into: unknown, from: unknown, field: string): void => {
    if (!isObject(into) || !isObject(from)) return;
    if ((into[field] === undefined || into[field] === SECRET_MARKER) && typeof from[field] === 'string') into[field] = from[field];
  };
  if (Array.isArray(kept.webhooks)) {
    for (const hook of kept.webhooks) {
      const before = current?.webhooks.find((w) => isObject(hook) && w.name === hook.name);
      keep(hook, before, 'secret');
    }
  }
  const b = kept.bitrix24;
  const before = current?.bitrix24;
  if (isObject(b) && before) {
    // Only the way of authenticating that is sent keeps its secrets: switching from webhook URL to OAuth
    // must not drag the old URL along (the schema allows one of the two).
    if (b.oauth === undefined) keep(b, before, 'webhookUrl');
    keep(b, before, 'applicationToken');
    if (isObject(b.oauth) && before.oauth) for (const f of ['clientSecret', 'accessToken', 'refreshToken', 'applicationToken']) keep(b.oauth, before.oauth, f);
  }
  return kept;
}

/** Whether a marker is still left where a secret belongs: nothing was stored to keep. */
export function markersLeft(settings: unknown): string[] {
  const left: string[] = [];
  mapSecrets(settings, (value, where) => {
    if (value === SECRET_MARKER) left.push(where);
    return value;
  });
  return left;
}

/** Validated settings, or CF_REQUEST_INVALID listing each problem by its field path (never a value). */
export function validSettings(input: unknown, what = 'CRM settings'): TenantCrmSettings {
  const parsed = tenantCrmSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AppError(ERROR_CODES.REQUEST_INVALID, `invalid ${what}: ${problems.join('; ')}`, { details: { problems } });
  }
  return parsed.data;
}
