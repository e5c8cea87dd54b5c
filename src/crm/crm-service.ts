import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Logger } from '../app/logger.ts';
import type { CallRecord } from '../domain/call.ts';
import type { OutboxInsert } from '../store/types.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { memoryTokenStore, oauthAuth, webhookAuth, type TokenStore } from './bitrix24/auth.ts';
import { createBitrixClient, type BitrixClient } from './bitrix24/client.ts';
import type { Originate } from './bitrix24/click-to-call.ts';
import { createBitrixSink } from './bitrix24/sink.ts';
import { sqlTokenStore } from './bitrix24/token-store.ts';
import { webhookOwner } from './bitrix24/users.ts';
import { extensionMatcher } from './call-parties.ts';
import { BITRIX_SINK, type CrmConfig } from './config.ts';
import { createMemoryRateLimiter, type RateLimit, type RateLimiter } from './flow/rate-limiter.ts';
import { withLocalFallback } from './flow/fallback-rate-limiter.ts';
import { createRedisRateLimiter } from './flow/redis-rate-limiter.ts';
import { createTarget, type Target } from './flow/target.ts';
import { crmRoutes } from './http/crm-routes.ts';
import { createOutboxMetrics, readBacklog } from './outbox-metrics.ts';
import { createOutboxWorker, type OutboxWorker } from './outbox-worker.ts';
import { planDeliveries, type CallChange } from './plan.ts';
import type { Sink } from './sink.ts';
import type { SinkHealth } from './sink-health.ts';
import { createWebhookSink } from './webhook/sink.ts';

// Builds the CRM side from configuration: sinks with their targets, the outbox worker, the planner
// and the routes. The composition root calls this once and passes the parts where they belong.

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
  /** Overrides for tests: OAuth token storage, Bitrix24 flow-control pauses. */
  tokenStore?: TokenStore;
  bitrixLimitPauseMs?: number;
}

export interface Crm {
  /** Rows to add to the batch's `outbox` for this call change. */
  plan(change: CallChange): OutboxInsert[];
  readonly worker: OutboxWorker;
  readonly routes: FastifyPluginAsync;
  readonly sinks: Sink[];
  /** For searchCrmEntities / findResponsibleEmployee; null without Bitrix24. */
  readonly bitrix: BitrixClient | null;
  /** For the health endpoint: each sink's backlog and whether its circuit breaker is open. */
  health(): Promise<CrmHealth>;
  /** Stops the worker (deliveries in flight get graceMs). */
  close(graceMs?: number): Promise<void>;
}

export interface CrmHealth {
  sinks: SinkHealth[];
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

  const sinks: Sink[] = config.webhooks.map((hook) => createWebhookSink(hook, target(`webhook:${hook.name}`, hook.rate)));
  let bitrix: BitrixClient | null = null;
  const b = config.bitrix24;
  if (b) {
    if (b.webhookUrl && webhookOwner(b.webhookUrl) === null) {
      // Every request to such a URL is likely refused and dead-lettered; the URL itself is a secret.
      logger.warn({ sink: BITRIX_SINK }, 'bitrix24.webhookUrl does not look like an incoming webhook (https://<portal>/rest/<user id>/<code>/); requests to it will probably be refused');
    }
    const bitrixTarget = target(BITRIX_SINK, b.rate);
    const auth = b.oauth
      ? oauthAuth(b.oauth, deps.tokenStore ?? sqlTokenStore(sql, BITRIX_SINK), config.outbox.timeoutMs)
      : webhookAuth(b.webhookUrl as string);
    bitrix = createBitrixClient({ target: bitrixTarget, auth, limitPauseMs: deps.bitrixLimitPauseMs });
    sinks.push(
      createBitrixSink({
        config: b,
        client: bitrix,
        target: bitrixTarget,
        sql,
        isExtension: extensionMatcher(deps.extensionPattern),
        logger: logger.child({ sink: BITRIX_SINK }),
        getCall: deps.getCall,
      }),
    );
  }
  const metrics = deps.registry ? createOutboxMetrics(deps.registry, sql, sinks.map((s) => s.name)) : undefined;
  const worker = createOutboxWorker({ sql, sinks, config: config.outbox, logger: logger.child({ component: 'outbox' }), metrics });
  const routes = crmRoutes({ sql, config, logger, originate: deps.originate, getCall: deps.getCall, wake: worker.wake });

  return {
    plan: (change) => planDeliveries(config, change),
    worker,
    routes,
    sinks,
    bitrix,
    async health() {
      const backlog = new Map((await readBacklog(sql)).map((r) => [r.sink, r]));
      return {
        sinks: sinks.map((s) => {
          const b = backlog.get(s.name);
          return {
            name: s.name,
            breakerOpen: s.readyInMs() > 0,
            pending: b?.pending ?? 0,
            failing: b?.failing ?? 0,
            dead: b?.dead ?? 0,
            oldestPendingSec: b?.oldest_sec ?? null,
            lastDeadError: b?.last_dead_error ?? null,
          };
        }),
      };
    },
    async close(graceMs) {
      await worker.stop(graceMs);
      await limiter.close();
    },
  };
}

export { memoryTokenStore };
