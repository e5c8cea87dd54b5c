import type { Logger } from '../app/logger.ts';
import type { CallRecord } from '../domain/call.ts';
import { AppError } from '../errors.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { oauthAuth, webhookAuth, type TokenStore } from './bitrix24/auth.ts';
import { createBitrixClient, type BitrixClient } from './bitrix24/client.ts';
import { createBitrixSink } from './bitrix24/sink.ts';
import { sqlTokenStore } from './bitrix24/token-store.ts';
import { webhookOwner } from './bitrix24/users.ts';
import { extensionMatcher } from './call-parties.ts';
import { BITRIX_SINK, webhookSinkName, type OutboxConfig } from './config.ts';
import type { RateLimit } from './flow/rate-limiter.ts';
import type { Target } from './flow/target.ts';
import type { Sink } from './sink.ts';
import type { TenantCrmSettings } from './tenant-settings.ts';
import { createWebhookSink } from './webhook/sink.ts';

// One tenant's sinks from its settings. The default tenant's sinks keep the names they always had
// (`webhook:<name>`, `bitrix24`); any other tenant's are qualified, `<tenantId>/webhook:<name>`, so that
// rows, breakers, rate limits, Bitrix24 links and tokens never mix between tenants.

export const DEFAULT_TENANT = 'default';

export function sinkPrefix(tenantId: string): string {
  return tenantId === DEFAULT_TENANT ? '' : `${tenantId}/`;
}

/** The tenant a sink name belongs to. */
export function tenantOfSink(sink: string): string {
  const slash = sink.indexOf('/');
  return slash < 0 ? DEFAULT_TENANT : sink.slice(0, slash);
}

export interface SinkBuildDeps {
  sql: SqlClient;
  logger: Logger;
  outbox: OutboxConfig;
  target: (name: string, limit: RateLimit) => Target;
  extensionPattern?: string;
  getCall?: (id: string) => Promise<CallRecord | null>;
  recordingAudio?: (name: string) => Promise<Buffer | null>;
  tokenStore?: TokenStore;
  bitrixLimitPauseMs?: number;
}

export interface TenantSinks {
  sinks: Sink[];
  bitrix: BitrixClient | null;
}

export function buildTenantSinks(tenantId: string, settings: TenantCrmSettings, deps: SinkBuildDeps): TenantSinks {
  const prefix = sinkPrefix(tenantId);
  const sinks: Sink[] = settings.webhooks.map((hook) => {
    const name = prefix + webhookSinkName(hook.name);
    return createWebhookSink(hook, deps.target(name, hook.rate), Date.now, name);
  });
  let bitrix: BitrixClient | null = null;
  const b = settings.bitrix24;
  if (b) {
    const name = prefix + BITRIX_SINK;
    if (b.webhookUrl && webhookOwner(b.webhookUrl) === null) {
      // Every request to such a URL is likely refused and dead-lettered; the URL itself is a secret.
      deps.logger.warn({ sink: name }, 'bitrix24.webhookUrl does not look like an incoming webhook (https://<portal>/rest/<user id>/<code>/); requests to it will probably be refused');
    }
    const target = deps.target(name, b.rate);
    const auth = b.oauth
      ? oauthAuth(b.oauth, (tenantId === DEFAULT_TENANT ? deps.tokenStore : undefined) ?? sqlTokenStore(deps.sql, name), deps.outbox.timeoutMs)
      : webhookAuth(b.webhookUrl as string);
    bitrix = createBitrixClient({ target, auth, limitPauseMs: deps.bitrixLimitPauseMs });
    sinks.push(
      createBitrixSink({
        config: b,
        client: bitrix,
        target,
        sql: deps.sql,
        isExtension: extensionMatcher(deps.extensionPattern),
        logger: deps.logger.child({ sink: name }),
        getCall: deps.getCall,
        recordingAudio: deps.recordingAudio,
        name,
      }),
    );
  }
  return { sinks, bitrix };
}

/**
 * Sinks of a tenant whose stored secrets cannot be opened (another SECRETS_KEY): its deliveries are still
 * queued and each attempt fails with the reason, retried until the key is put right or the rows age out.
 */
export function unreadableSinks(tenantId: string, settings: TenantCrmSettings, problem: AppError): TenantSinks {
  const prefix = sinkPrefix(tenantId);
  const names = [...settings.webhooks.map((w) => prefix + webhookSinkName(w.name)), ...(settings.bitrix24 ? [prefix + BITRIX_SINK] : [])];
  return {
    bitrix: null,
    sinks: names.map((name) => ({
      name,
      readyInMs: () => 0,
      async deliver() {
        throw new AppError(problem.code, `${name}: ${problem.message}`, { retryable: true });
      },
    })),
  };
}
