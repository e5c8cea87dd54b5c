import { existsSync } from 'node:fs';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Engine } from '../app/engine.ts';
import type { EngineMetrics } from '../app/metrics.ts';
import { httpConfigSchema } from '../config/http-schema.ts';
import type { HttpConfig } from '../config/schema.ts';
import type { Store } from '../store/types.ts';
import fastifyCookie from '@fastify/cookie';
import { accessHook, ApiKeys, defaultAccess } from './auth.ts';
import { Authenticator, NO_ACCOUNTS } from './authenticate.ts';
import type { TenantStore } from '../tenants/tenant-store.ts';
import { auditRoutes } from './routes/audit.ts';
import { keyRoutes } from './routes/keys.ts';
import { sessionRoutes } from './routes/session.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { userRoutes } from './routes/users.ts';
import { routingRoutes, type ExtensionSipDeps } from './routes/routing.ts';
import { routingCallRoutes } from './routes/routing-calls.ts';
import type { RecordingStore } from '../routing/recordings/recording-store.ts';
import type { PresenceBoard } from '../routing/runtime/presence-board.ts';
import { callRecordingRoutes } from './routes/call-recordings.ts';
import type { RoutingStore } from '../routing/objects/routing-store.ts';
import { authThrottle } from './auth-throttle.ts';
import { crmSettingsRoutes, type CrmSettingsDeps } from './routes/crm-settings.ts';
import { registerDocsPage } from './docs-page.ts';
import { errorHandler, frameworkErrorHandler, notFoundHandler } from './error-handler.ts';
import { openapiOptions } from './openapi.ts';
import { recordRoutes } from './route-table.ts';
import type { IdempotencyKeys } from './idempotency.ts';
import { callRoutes, type CrmLinkView } from './routes/calls.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes, type HealthReport } from './routes/health.ts';
import { liveRoutes, type LiveRouteOptions } from './routes/live.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { quarantineRoutes } from './routes/quarantine.ts';
import { gapRoutes } from './routes/gaps.ts';
import { statsRoutes } from './routes/stats.ts';
import { registerPageHeaders, registerSecurityHeaders } from './security-headers.ts';

export interface AccountDeps {
  tenants: TenantStore;
  openAllowed: boolean;
  /** Rules or numbers of tenants changed: calls starting from now on are given by the new set. */
  onRulesChanged: () => Promise<void>;
  /** Tenants' call routing (/api/routing/*, docs/routing.md); absent: not served. */
  routing?: RoutingStore;
  /** A tenant's routing changed. */
  onRoutingChanged?: (tenantId: string) => void;
  /** What routing keeps on Asterisk and learns from it: recordings' audio, call recordings, presence. */
  media?: RoutingMediaDeps;
  /** Extensions' SIP passwords and their provisioning on Asterisk (routes/routing.ts). */
  sip?: ExtensionSipDeps;
  /** Per-tenant CRM settings (GET/PUT /api/settings/crm); absent: not served. */
  crm?: CrmSettingsDeps;
  sessionTtlMs?: number;
  accountFailureLimit?: number;
  accountFailureWindowMs?: number;
}

export interface RoutingMediaDeps {
  /** A stored recording's audio (a voicemail message's, a call's) from the connected Asterisk servers, or null. */
  recordingAudio(name: string): Promise<Buffer | null>;
  /** Deletes a stored recording's file everywhere; false when a server could not be asked. */
  deleteRecordingAudio(name: string): Promise<boolean>;
  /** The tenant's presence board. */
  presence(tenantId: string): Promise<PresenceBoard>;
  recordings: RecordingStore;
}

const ACCOUNT_DEFAULTS = { sessionTtlMs: 12 * 3_600_000, accountFailureLimit: 10, accountFailureWindowMs: 15 * 60_000 };
const KEY_USE_FLUSH_MS = 10_000;

/** The HTTP edge's limits and policies (config `http.*`; docs/configuration.md). */
export type HttpEdgeOptions = Omit<HttpConfig, 'host' | 'port' | 'apiKeys' | 'insecureNoAuth' | 'listingCacheMs' | 'healthTimeoutMs'>;

export interface ApiDeps {
  engine: Engine;
  store: Store;
  metrics: EngineMetrics;
  logger: Logger;
  apiKeys: readonly string[];
  /**
   * Tenants, users, sessions and tenant keys (src/tenants), and whether the configuration lets the API be
   * open while no keys and no users exist. Absent: no accounts, open without keys (tests of other parts).
   */
  accounts?: AccountDeps;
  /** Tickets and per-client bounds of the live stream (defaults in routes/live.ts). */
  live?: Partial<LiveRouteOptions>;
  health: () => Promise<HealthReport>;
  /** Extra route plugins (CRM deliveries, integrations), registered like the built-in ones. */
  plugins?: FastifyPluginAsync[];
  /** Folder of the built dashboard; served at / when it exists. */
  webRoot?: string;
  /** The CRM's ids of a call (Bitrix24 CALL_ID, CRM entities), shown in the call detail. */
  crmLinks?: (callId: string) => Promise<CrmLinkView[]>;
  /** Default server name for events posted without one. */
  defaultServer: string;
  /** Idempotency keys of POST /api/events. */
  idempotency: IdempotencyKeys;
  /** Limits, timeouts, origins and throttling; each one left out takes its configured default. */
  http?: Partial<HttpEdgeOptions>;
}

/** Builds the HTTP API without listening (tests use inject(); the CLI calls listen()). */
export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const http: HttpEdgeOptions = { ...httpConfigSchema.parse({}), ...deps.http };
  const keys = new ApiKeys(deps.apiKeys);
  const door = new Authenticator({ platformKeys: keys, lookups: deps.accounts?.tenants ?? NO_ACCOUNTS, openAllowed: deps.accounts?.openAllowed ?? true });
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }),
    // Per-request logging halves throughput; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: http.bodyLimitBytes,
    forceCloseConnections: true,
    // Slow or silent clients are cut (Node answers 408 to a request not received in time). An upgraded
    // WebSocket leaves the HTTP server's bookkeeping and none of these apply to it.
    connectionTimeout: http.idleTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(http.headersTimeoutMs, http.requestTimeoutMs),
      connectionsCheckingInterval: http.connectionsCheckingIntervalMs,
    },
    trustProxy: http.trustedProxies.length > 0 ? [...http.trustedProxies] : false,
    frameworkErrors: frameworkErrorHandler(keys),
  }).withTypeProvider<ZodTypeProvider>();
  // The helpers below take the plain instance type; the zod type provider changes only route typings.
  const root = app as unknown as FastifyInstance;
  root.server.maxConnections = http.maxConnections;
  recordRoutes(root);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  // The API reads JSON (and the Bitrix24 handler its form posts); any other body type gets 415.
  app.removeContentTypeParser('text/plain');

  await app.register(fastifySwagger, openapiOptions());
  await registerSecurityHeaders(root, { allowedOrigins: http.allowedOrigins });
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 } });
  await app.register(fastifyCookie);
  // Authorization is decided per matched route (src/api/auth.ts); routes declare their access.
  const throttle = authThrottle(root, http);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', accessHook(door, throttle));
  app.decorate('door', door);

  await app.register(healthRoutes({ health: deps.health, door }));
  await app.register(statsRoutes(deps));
  await app.register(callRoutes(deps));
  await app.register(eventRoutes(deps));
  await app.register(quarantineRoutes(deps));
  await app.register(gapRoutes(deps));
  await app.register(liveRoutes({ ...deps, door, throttle, allowedOrigins: http.allowedOrigins }));
  await app.register(metricsRoutes(deps));
  const accounts = deps.accounts;
  if (accounts) {
    const limits = { ...ACCOUNT_DEFAULTS, ...accounts };
    await app.register(sessionRoutes({ ...limits, tenants: accounts.tenants, throttle }));
    await app.register(userRoutes(accounts));
    await app.register(keyRoutes(accounts));
    await app.register(tenantRoutes(accounts));
    await app.register(auditRoutes(accounts));
    if (accounts.routing) {
      const { media } = accounts;
      await app.register(
        routingRoutes({
          tenants: accounts.tenants,
          routing: accounts.routing,
          ...(accounts.onRoutingChanged ? { onRoutingChanged: accounts.onRoutingChanged } : {}),
          ...(accounts.sip ? { sip: accounts.sip } : {}),
          ...(media ? { deleteRecordingAudio: (name: string) => media.deleteRecordingAudio(name) } : {}),
        }),
      );
      await app.register(
        routingCallRoutes({
          routing: accounts.routing,
          ...(media ? { recordingAudio: (name: string) => media.recordingAudio(name), presence: (tenantId: string) => media.presence(tenantId) } : {}),
        }),
      );
      if (media) {
        await app.register(
          callRecordingRoutes({
            store: deps.store,
            recordings: media.recordings,
            tenants: accounts.tenants,
            recordingAudio: (name) => media.recordingAudio(name),
            deleteRecordingAudio: (name) => media.deleteRecordingAudio(name),
          }),
        );
      }
    }
    if (accounts.crm) await app.register(crmSettingsRoutes({ tenants: accounts.tenants, crm: accounts.crm }));
    // Keys' last-used times are written in batches, not on every request.
    const timer = setInterval(() => void door.flushKeyUse().catch((error: unknown) => deps.logger.warn({ err: error }, 'could not record when API keys were last used')), KEY_USE_FLUSH_MS);
    timer.unref();
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await door.flushKeyUse().catch(() => undefined);
    });
  }
  for (const plugin of deps.plugins ?? []) await app.register(plugin);
  await registerDocsPage(root);

  const webRoot = deps.webRoot;
  if (webRoot && existsSync(webRoot)) {
    await app.register(async (web) => {
      // The dashboard's files hold no data: its login shows without a key.
      defaultAccess(web, () => 'public');
      await registerPageHeaders(web, () => true);
      await web.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: false, index: ['index.html'] });
    });
  }
  return root;
}
