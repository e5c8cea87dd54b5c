import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { crmFromEnv } from '../crm/config.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import { configSchema, type Config, type ConfigInput } from './schema.ts';

// Precedence: flags > environment > config file > defaults. Everything is validated together and
// every problem is reported in one error.

type Env = Record<string, string | undefined>;

export interface LoadOptions {
  env?: Env;
  /** Path of a JSON config file (also CALLFLOW_CONFIG). */
  file?: string;
  /** Values from command-line flags, already in the schema's shape. */
  flags?: ConfigInput;
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function num(value: string | undefined): number | string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : value; // leave a bad value for zod to report
}

function bool(value: string | undefined): boolean | string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  return value;
}

function parseJsonEnv(name: string, value: string | undefined): unknown {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `${name} is not valid JSON`);
  }
}

/** Configuration read from environment variables (documented in docs/configuration.md). */
export function fromEnv(env: Env): ConfigInput {
  const ariServers = parseJsonEnv('ARI_SERVERS', env.ARI_SERVERS);
  const single =
    env.ARI_URL !== undefined
      ? [
          {
            name: env.ARI_NAME ?? 'default',
            url: env.ARI_URL,
            username: env.ARI_USERNAME ?? env.ARI_USER,
            password: env.ARI_PASSWORD,
            app: env.ARI_APP,
            subscribeAll: bool(env.ARI_SUBSCRIBE_ALL),
          },
        ]
      : undefined;
  return prune({
    http: {
      host: env.HOST,
      port: num(env.PORT),
      apiKeys: list(env.API_KEYS),
      insecureNoAuth: bool(env.CALLFLOW_INSECURE_NO_AUTH),
      allowedOrigins: list(env.ALLOWED_ORIGINS),
      trustedProxies: list(env.TRUSTED_PROXIES),
      listingCacheMs: num(env.LISTING_CACHE_MS),
      bodyLimitBytes: num(env.HTTP_BODY_LIMIT_BYTES),
      headersTimeoutMs: num(env.HTTP_HEADERS_TIMEOUT_MS),
      requestTimeoutMs: num(env.HTTP_REQUEST_TIMEOUT_MS),
      keepAliveTimeoutMs: num(env.HTTP_KEEP_ALIVE_TIMEOUT_MS),
      idleTimeoutMs: num(env.HTTP_IDLE_TIMEOUT_MS),
      connectionsCheckingIntervalMs: num(env.HTTP_CONNECTIONS_CHECK_INTERVAL_MS),
      maxConnections: num(env.HTTP_MAX_CONNECTIONS),
      authFailureLimit: num(env.AUTH_FAILURE_LIMIT),
      authFailureWindowMs: num(env.AUTH_FAILURE_WINDOW_MS),
      keyRateLimit: num(env.KEY_RATE_LIMIT),
      keyRateWindowMs: num(env.KEY_RATE_WINDOW_MS),
      healthTimeoutMs: num(env.HEALTH_TIMEOUT_MS),
    },
    live: {
      ticketTtlMs: num(env.LIVE_TICKET_TTL_MS),
      replayMessages: num(env.LIVE_REPLAY_MESSAGES),
      replayBytes: num(env.LIVE_REPLAY_BYTES),
      snapshotMaxCalls: num(env.LIVE_SNAPSHOT_MAX_CALLS),
      snapshotMaxBytes: num(env.LIVE_SNAPSHOT_MAX_BYTES),
      clientBufferBytes: num(env.LIVE_CLIENT_BUFFER_BYTES),
    },
    database: { url: env.DATABASE_URL, dataDir: env.CALLFLOW_DATA_DIR, poolSize: num(env.DATABASE_POOL_SIZE) },
    redis: { url: env.REDIS_URL },
    secrets: { key: env.SECRETS_KEY },
    routing: {
      mediaBaseUrl: env.MEDIA_BASE_URL,
      phoneContext: env.ROUTING_PHONE_CONTEXT,
      phoneTransport: env.ROUTING_PHONE_TRANSPORT,
      recordingRetentionDays: num(env.ROUTING_RECORDING_RETENTION_DAYS),
    },
    ari: { servers: ariServers ?? single },
    direction: {
      inboundContexts: list(env.DIRECTION_INBOUND_CONTEXTS),
      internalContexts: list(env.DIRECTION_INTERNAL_CONTEXTS),
      trunkEndpoints: list(env.DIRECTION_TRUNK_ENDPOINTS),
      extensionPattern: env.DIRECTION_EXTENSION_PATTERN,
      originatedOutbound: bool(env.DIRECTION_ORIGINATED_OUTBOUND),
    },
    simulator: {
      mode: env.SIMULATOR,
      callsPerSecond: num(env.SIMULATOR_CALLS_PER_SECOND),
      seed: num(env.SIMULATOR_SEED),
    },
    ingest: { stopDeadlineMs: num(env.INGEST_STOP_DEADLINE_MS), spoolDir: env.INGEST_SPOOL_DIR, spillMaxBytes: num(env.INGEST_SPILL_MAX_BYTES) },
    calls: {
      staleAfterMs: num(env.CALLS_STALE_AFTER_MS),
      disconnectedGraceMs: num(env.CALLS_DISCONNECTED_GRACE_MS),
      sweepIntervalMs: num(env.CALLS_SWEEP_INTERVAL_MS),
    },
    crm: crmFromEnv(env),
    log: { level: env.LOG_LEVEL },
  }) as ConfigInput;
}

/** Drops undefined leaves so that lower-precedence sources show through. */
function prune(value: unknown): unknown {
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const p = prune(v);
    if (p === undefined) continue;
    if (typeof p === 'object' && p !== null && !Array.isArray(p) && Object.keys(p).length === 0) continue;
    out[k] = p;
  }
  return out;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (
    typeof base !== 'object' ||
    base === null ||
    Array.isArray(base) ||
    typeof over !== 'object' ||
    over === null ||
    Array.isArray(over)
  ) {
    return over;
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
  return out;
}

function readFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `cannot read config file ${path}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `config file ${path} is not valid JSON`, { cause });
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? {};
  const file = options.file ?? env.CALLFLOW_CONFIG;
  let input: unknown = {};
  if (file) input = merge(input, readFile(file));
  input = merge(input, fromEnv(env));
  if (options.flags) input = merge(input, prune(options.flags));
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: problems,
    });
  }
  try {
    new RegExp(parsed.data.direction.extensionPattern);
  } catch {
    throw new AppError(ERROR_CODES.CONFIG_INVALID, 'invalid configuration:\n  direction.extensionPattern: not a valid regular expression');
  }
  return deepFreeze(parsed.data);
}

export { z };
