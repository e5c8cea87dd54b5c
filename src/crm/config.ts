import { z } from 'zod';
import { AppError, ERROR_CODES } from '../errors.ts';

// CRM sync configuration: where call changes go (Bitrix24, signed webhooks) and how the outbox
// delivers them. Plugged into the main schema as `crm`; nothing here reads process.env by itself.

export const CRM_EVENT_TYPES = ['call.created', 'call.answered', 'call.finished'] as const;
export type CrmEventType = (typeof CRM_EVENT_TYPES)[number];
/** Media a call left behind, sent once each: a recorded conversation, a voicemail message (docs/routing.md). */
export const MEDIA_EVENT_TYPES = ['call.recorded', 'voicemail.left'] as const;
export type MediaEventType = (typeof MEDIA_EVENT_TYPES)[number];
/** What a webhook may subscribe to. */
export const WEBHOOK_EVENT_TYPES = [...CRM_EVENT_TYPES, ...MEDIA_EVENT_TYPES] as const;

/** STATUS_CODE values telephony.externalCall.finish accepts. */
export const BITRIX_STATUS_CODES = ['200', '304', '603', '603-S', '403', '404', '486', '484', '503', '480', '402', '423', 'OTHER'] as const;
export type BitrixStatusCode = (typeof BITRIX_STATUS_CODES)[number];

const rate = (perSecond: number, burst: number) =>
  z
    .object({
      /** Sustained requests per second the target accepts. */
      perSecond: z.number().positive().max(10_000).default(perSecond),
      /** Requests that may go at once after a quiet period. */
      burst: z.number().int().min(1).max(100_000).default(burst),
    })
    .prefault({});

export const webhookSchema = z.object({
  /** Names the sink in delivery ids and metrics (`webhook:<name>`). */
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, `_`, `.`, `-` (at most 64)'),
  url: z.url(),
  /** HMAC-SHA256 key of the `Callflow-Signature` header. */
  secret: z.string().min(16, 'at least 16 characters'),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).default([...WEBHOOK_EVENT_TYPES]),
  rate: rate(50, 100),
});
export type WebhookConfig = z.infer<typeof webhookSchema>;

const oauth = z.object({
  /** The portal, `https://company.bitrix24.com` (a bare host means https). */
  portal: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  /** Sent by Bitrix24 with every event it posts to us; events without it are refused. */
  applicationToken: z.string().min(1).optional(),
  /** Where refresh tokens are exchanged. */
  tokenUrl: z.url().default('https://oauth.bitrix.info/oauth/token/'),
});

const statusCodeKeys = [
  'answered',
  'busy',
  'no_answer_inbound',
  'no_answer_outbound',
  'cancelled_inbound',
  'cancelled_outbound',
  'congestion',
  /** Replaces the per-cause table for failed calls when set. */
  'failed',
] as const;
export type StatusCodeKey = (typeof statusCodeKeys)[number];

export const bitrix24Schema = z
  .object({
    /** Incoming webhook, `https://company.bitrix24.com/rest/1/abcdef123/` (the code is a secret). */
    webhookUrl: z.url().optional(),
    oauth: oauth.optional(),
    /** application_token for events when authenticating by webhook URL (outgoing-webhook handlers carry one too). */
    applicationToken: z.string().min(1).optional(),
    /** PBX extension → Bitrix24 user id. */
    userMap: z.record(z.string(), z.coerce.number().int().positive()).default({}),
    /** Responsible user when no employee extension is known for a call. */
    defaultUserId: z.number().int().positive().optional(),
    /** When the call card pops up for employees. */
    showCard: z.enum(['ring', 'answer', 'never']).default('ring'),
    /** CRM_CREATE: let Bitrix24 create a lead for an unknown number. */
    crmCreate: z.boolean().default(true),
    /** Calls between two extensions are sent only when true. */
    sendInternal: z.boolean().default(false),
    rate: rate(2, 50),
    /** Click-to-call: the employee's extension is rung as `Local/<ext>@<context>`, then the client is dialled in it. */
    originateContext: z.string().min(1).default('from-internal'),
    /** Which configured Asterisk server places click-to-call calls (default: the first). */
    originateServer: z.string().min(1).optional(),
    /**
     * PHONE_NUMBER of a call whose client number is not a dialable number (withheld, empty, a SIP user
     * name): Bitrix24 refuses a number without digits, and the call would be missing from the CRM.
     */
    placeholderNumber: z.string().regex(/^\+?\d{1,32}$/, 'digits, optionally after a +').default('0000000000'),
    /** Overrides of the STATUS_CODE table (docs/crm.md). */
    statusCodes: z.partialRecord(z.enum(statusCodeKeys), z.enum(BITRIX_STATUS_CODES)).optional(),
  })
  .refine((b) => (b.webhookUrl === undefined) !== (b.oauth === undefined), {
    message: 'set exactly one of webhookUrl or oauth',
  });
export type Bitrix24Config = z.infer<typeof bitrix24Schema>;

const outbox = z
  .object({
    /** A delivery that keeps failing is retried this long after it was queued, then marked dead. */
    maxAgeMs: z.number().int().min(1).default(24 * 3600_000),
    baseDelayMs: z.number().int().min(1).default(1_000),
    maxDelayMs: z.number().int().min(1).default(10 * 60_000),
    /** Deliveries in flight per worker. */
    concurrency: z.number().int().min(1).max(256).default(8),
    /** call.created waits this long, so a call merged into another meanwhile never reaches a CRM. */
    settleMs: z.number().int().min(0).default(1_000),
    /** One HTTP request to a target. */
    timeoutMs: z.number().int().min(1).default(15_000),
    /** A claim not renewed for this long is taken over by another worker (a crashed one's claims). */
    leaseMs: z.number().int().min(100).default(120_000),
    /** How often an idle worker looks for due deliveries. */
    pollIntervalMs: z.number().int().min(10).default(500),
    /** Consecutive target failures that open its circuit breaker. */
    breakerFailures: z.number().int().min(1).default(5),
    /** How long an open breaker waits before letting one trial request through. */
    breakerHalfOpenMs: z.number().int().min(1).default(30_000),
  })
  .prefault({});
export type OutboxConfig = z.infer<typeof outbox>;

export const crmConfigSchema = z
  .object({
    webhooks: z.array(webhookSchema).default([]),
    bitrix24: bitrix24Schema.optional(),
    outbox,
  })
  .refine((c) => new Set(c.webhooks.map((w) => w.name)).size === c.webhooks.length, {
    message: 'webhook names must be unique',
    path: ['webhooks'],
  });

export type CrmConfig = z.infer<typeof crmConfigSchema>;
export type CrmConfigInput = z.input<typeof crmConfigSchema>;

export const BITRIX_SINK = 'bitrix24';
export const webhookSinkName = (name: string): string => `webhook:${name}`;

type Env = Record<string, string | undefined>;

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function num(value: string | undefined): number | string | undefined {
  const v = present(value);
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : v; // a bad value stays for zod to report
}

function bool(value: string | undefined): boolean | string | undefined {
  const v = present(value);
  if (v === undefined) return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  return v;
}

function json(name: string, value: string | undefined): unknown {
  const v = present(value);
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `${name} is not valid JSON`);
  }
}

/** `101:5,102:7` or JSON `{"101":5}`. */
function userMap(value: string | undefined): unknown {
  const v = present(value);
  if (v === undefined) return undefined;
  if (v.startsWith('{')) return json('BITRIX_USER_MAP', v);
  const out: Record<string, string> = {};
  for (const pair of v.split(',')) {
    const [ext, user] = pair.split(/[:=]/).map((s) => s.trim());
    if (ext) out[ext] = user ?? '';
  }
  return out;
}

/** WEBHOOKS (JSON array) wins; else WEBHOOK_URLS (comma list) sharing WEBHOOK_SECRET and WEBHOOK_EVENTS. */
function webhooksFromEnv(env: Env): unknown {
  const full = json('WEBHOOKS', env.WEBHOOKS);
  if (full !== undefined) return full;
  const urls = present(env.WEBHOOK_URLS)?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!urls?.length) return undefined;
  const events = present(env.WEBHOOK_EVENTS)?.split(',').map((s) => s.trim()).filter(Boolean);
  return urls.map((url, i) => ({ name: `hook${i + 1}`, url, secret: env.WEBHOOK_SECRET, events }));
}

function bitrixFromEnv(env: Env): unknown {
  if (!Object.keys(env).some((k) => k.startsWith('BITRIX_') && present(env[k]) !== undefined)) return undefined;
  const oauthSet = present(env.BITRIX_CLIENT_ID) !== undefined;
  return {
    webhookUrl: present(env.BITRIX_WEBHOOK_URL),
    oauth: oauthSet
      ? {
          portal: present(env.BITRIX_PORTAL),
          clientId: present(env.BITRIX_CLIENT_ID),
          clientSecret: present(env.BITRIX_CLIENT_SECRET),
          accessToken: present(env.BITRIX_ACCESS_TOKEN),
          refreshToken: present(env.BITRIX_REFRESH_TOKEN),
          applicationToken: present(env.BITRIX_APPLICATION_TOKEN),
          tokenUrl: present(env.BITRIX_TOKEN_URL),
        }
      : undefined,
    applicationToken: oauthSet ? undefined : present(env.BITRIX_APPLICATION_TOKEN),
    userMap: userMap(env.BITRIX_USER_MAP),
    defaultUserId: num(env.BITRIX_DEFAULT_USER_ID),
    showCard: present(env.BITRIX_SHOW_CARD),
    crmCreate: bool(env.BITRIX_CRM_CREATE),
    sendInternal: bool(env.BITRIX_SEND_INTERNAL),
    rate: { perSecond: num(env.BITRIX_RATE_PER_SECOND), burst: num(env.BITRIX_RATE_BURST) },
    originateContext: present(env.BITRIX_ORIGINATE_CONTEXT),
    originateServer: present(env.BITRIX_ORIGINATE_SERVER),
    statusCodes: json('BITRIX_STATUS_CODES', env.BITRIX_STATUS_CODES),
    placeholderNumber: present(env.BITRIX_PLACEHOLDER_NUMBER),
  };
}

/**
 * The `crm` part of the configuration from environment variables (docs/crm.md lists them).
 * Leaves are undefined when unset, so lower-precedence sources (the config file) show through.
 */
export function crmFromEnv(env: Env): CrmConfigInput {
  return {
    webhooks: webhooksFromEnv(env),
    bitrix24: bitrixFromEnv(env),
    outbox: {
      maxAgeMs: num(env.OUTBOX_MAX_AGE_MS),
      baseDelayMs: num(env.OUTBOX_BASE_DELAY_MS),
      maxDelayMs: num(env.OUTBOX_MAX_DELAY_MS),
      concurrency: num(env.OUTBOX_CONCURRENCY),
      settleMs: num(env.OUTBOX_SETTLE_MS),
      timeoutMs: num(env.CRM_TIMEOUT_MS),
      leaseMs: num(env.OUTBOX_LEASE_MS),
    },
  } as CrmConfigInput;
}

/** Parses the CRM section on its own (tests, tools); the engine parses it as part of the main config. */
export function parseCrmConfig(input: unknown): CrmConfig {
  const parsed = crmConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `crm.${i.path.join('.')}: ${i.message}`);
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `invalid CRM configuration:\n  ${problems.join('\n  ')}`, {
      details: problems,
    });
  }
  return parsed.data;
}
