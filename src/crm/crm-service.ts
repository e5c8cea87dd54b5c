import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Logger } from '../app/logger.ts';
import type { CallRecord } from '../domain/call.ts';
import type { OutboxInsert } from '../store/types.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { memoryTokenStore, type TokenStore } from './bitrix24/auth.ts';
import type { BitrixClient } from './bitrix24/client.ts';
import type { Originate } from './bitrix24/click-to-call.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import type { CrmConfig, MediaEventType } from './config.ts';
import { createMemoryRateLimiter, type RateLimit, type RateLimiter } from './flow/rate-limiter.ts';
import { withLocalFallback } from './flow/fallback-rate-limiter.ts';
import { createRedisRateLimiter } from './flow/redis-rate-limiter.ts';
import { createTarget, type Target } from './flow/target.ts';
import { crmRoutes } from './http/crm-routes.ts';
import { createOutboxMetrics, readBacklog } from './outbox-metrics.ts';
import { createOutboxWorker, type OutboxWorker } from './outbox-worker.ts';
import type { CallChange, RecordingFacts, VoicemailFacts } from './plan.ts';
import type { Sink } from './sink.ts';
import type { SinkHealth } from './sink-health.ts';
import { TenantCrms } from './tenant-crms.ts';
import { buildTenantSinks, DEFAULT_TENANT, unreadableSinks, type SinkBuildDeps } from './tenant-sinks.ts';
import { openSettings, plannableSettings, type TenantCrmSettings } from './tenant-settings.ts';

// Builds the CRM side from configuration: each tenant's sinks with their targets, the outbox worker, the
// planner and the routes. The composition root calls this once and passes the parts where they belong.

export interface CrmDeps {
  config: CrmConfig;
  sql: SqlClient;
  logger: Logger;
  /** Metrics go here when given. */
  registry?: Registry;
  /** Shares rate limits across instances. The client stays the caller's to close. */
  redis?: Redis;
  redisKeyPrefix?: string;
  /** What counts as an employee's extension (the main config's direction.extensionPattern). */
  extensionPattern?: string;
  originate?: Originate;
  /** The call as stored now: registers are built from it, and replays plan from it. */
  getCall?: (id: string) => Promise<CallRecord | null>;
  /** A stored recording's audio from the PBX: what Bitrix24 gets for a recording or voicemail message. */
  recordingAudio?: (name: string) => Promise<Buffer | null>;
  /** Overrides for tests: OAuth token storage, Bitrix24 flow-control pauses. */
  tokenStore?: TokenStore;
  bitrixLimitPauseMs?: number;
  /** Opens the secrets of tenants' stored settings (SECRETS_KEY or the key file). */
  secretsKey?: Buffer;
}

export interface Crm {
  /** Rows for media a call left (a recorded conversation, a voicemail message), by the settings of its tenant. */
  planMedia(call: CallRecord, type: MediaEventType, media: { recording: RecordingFacts } | { voicemail: VoicemailFacts }): OutboxInsert[];
  /** Rows to add to the batch's `outbox` for this call change, by the settings of the call's tenant. */
  plan(change: CallChange): OutboxInsert[];
  readonly worker: OutboxWorker;
  readonly routes: FastifyPluginAsync;
  /** Every tenant's sinks as they stand now. */
  readonly sinks: Sink[];
  /** The default tenant's Bitrix24 client, for searchCrmEntities / findResponsibleEmployee; null without Bitrix24. */
  readonly bitrix: BitrixClient | null;
  readonly tenants: TenantCrms;
  /** The CRM settings of the environment: the default tenant's while it has none stored. */
  readonly environment: TenantCrmSettings;
  /**
   * Rebuilds a tenant's sinks from its stored settings (`tenant_crm.config`, secrets sealed); null: it has
   * none (the default tenant then inherits the environment). Secrets that cannot be opened leave the
   * tenant with sinks that fail every attempt with CF_SECRET_UNREADABLE, logged here and shown in health().
   */
  applyStored(tenantId: string, stored: unknown): void;
  /** For the health endpoint: each sink's backlog and whether its circuit breaker is open. */
  health(): Promise<CrmHealth>;
  /** Stops the worker (deliveries in flight get graceMs). */
  close(graceMs?: number): Promise<void>;
}

export interface CrmHealth {
  sinks: (SinkHealth & { problem?: string })[];
}

export function createCrm(deps: CrmDeps): Crm {
  const { config, sql, logger } = deps;
  const limiter: RateLimiter = deps.redis
    ? withLocalFallback(createRedisRateLimiter(deps.redis, { keyPrefix: deps.redisKeyPrefix }), createMemoryRateLimiter(), logger)
    : createMemoryRateLimiter();
  const target = (name: string, limit: RateLimit): Target =>
    createTarget({
      name,
      limit,
      limiter,
      timeoutMs: config.outbox.timeoutMs,
      breakerFailures: config.outbox.breakerFailures,
      breakerHalfOpenMs: config.outbox.breakerHalfOpenMs,
    });
  const build: SinkBuildDeps = {
    sql,
    logger,
    outbox: config.outbox,
    target,
    extensionPattern: deps.extensionPattern,
    getCall: deps.getCall,
    recordingAudio: deps.recordingAudio,
    tokenStore: deps.tokenStore,
    bitrixLimitPauseMs: deps.bitrixLimitPauseMs,
  };
  const tenants = new TenantCrms();
  const environment: TenantCrmSettings = { webhooks: config.webhooks, bitrix24: config.bitrix24 };
  const inheritEnvironment = () =>
    tenants.set(
      DEFAULT_TENANT,
      environment.bitrix24 || environment.webhooks.length > 0
        ? { tenantId: DEFAULT_TENANT, settings: environment, inherited: true, problem: null, ...buildTenantSinks(DEFAULT_TENANT, environment, build) }
        : null,
    );
  inheritEnvironment();

  const metrics = deps.registry ? createOutboxMetrics(deps.registry, sql, () => tenants.sinks().map((s) => s.name)) : undefined;
  const worker = createOutboxWorker({ sql, sinks: () => tenants.sinks(), config: config.outbox, logger: logger.child({ component: 'outbox' }), metrics });
  const routes = crmRoutes({ sql, config, logger, originate: deps.originate, getCall: deps.getCall, wake: worker.wake, plan: (change) => tenants.plan(change), tenants });

  return {
    planMedia: (call, type, media) => tenants.planMedia(call, type, media),
    plan: (change) => tenants.plan(change),
    worker,
    routes,
    tenants,
    environment,
    get sinks() {
      return tenants.sinks();
    },
    get bitrix() {
      return tenants.defaultBitrix();
    },
    applyStored(tenantId, stored) {
      if (stored === null) {
        if (tenantId === DEFAULT_TENANT) inheritEnvironment();
        else tenants.set(tenantId, null);
        return;
      }
      const log = logger.child({ tenantId });
      try {
        if (!deps.secretsKey) throw new AppError(ERROR_CODES.SECRET_UNREADABLE, 'no secrets key was loaded');
        const settings = openSettings(stored, deps.secretsKey);
        tenants.set(tenantId, { tenantId, settings, inherited: false, problem: null, ...buildTenantSinks(tenantId, settings, { ...build, logger: log }) });
      } catch (err) {
        // Settings that do not open (another key) or no longer validate must not stop the engine: the tenant's
        // sinks report why instead.
        if (!(err instanceof AppError)) throw err;
        const settings = plannableSettings(stored);
        const problem = `${err.code}: ${err.message}`;
        log.error({ code: err.code, err: err.message }, "the tenant's stored CRM settings cannot be used: its deliveries are queued and fail with this reason until they are saved again (or SECRETS_KEY is the one they were sealed with)");
        tenants.set(tenantId, { tenantId, settings, inherited: false, problem, ...unreadableSinks(tenantId, settings, err) });
      }
      worker.wake();
    },
    async health() {
      const backlog = new Map((await readBacklog(sql)).map((r) => [r.sink, r]));
      return {
        sinks: tenants.entries().flatMap((entry) =>
          entry.sinks.map((s) => {
            const b = backlog.get(s.name);
            return {
              name: s.name,
              breakerOpen: s.readyInMs() > 0,
              pending: b?.pending ?? 0,
              failing: b?.failing ?? 0,
              dead: b?.dead ?? 0,
              oldestPendingSec: b?.oldest_sec ?? null,
              lastDeadError: b?.last_dead_error ?? null,
              ...(entry.problem ? { problem: entry.problem } : {}),
            };
          }),
        ),
      };
    },
    async close(graceMs) {
      await worker.stop(graceMs);
      await limiter.close();
    },
  };
}

export { memoryTokenStore };
