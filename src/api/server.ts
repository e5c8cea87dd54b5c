import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Engine } from '../app/engine.ts';
import type { EngineMetrics } from '../app/metrics.ts';
import type { Store } from '../store/types.ts';
import { ApiKeys, apiKeyHook, defaultAccess } from './auth.ts';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import type { IdempotencyKeys } from './idempotency.ts';
import { callRoutes, type CrmLinkView } from './routes/calls.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes, type HealthReport } from './routes/health.ts';
import { liveRoutes, type LiveRouteOptions } from './routes/live.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { quarantineRoutes } from './routes/quarantine.ts';
import { statsRoutes } from './routes/stats.ts';

export interface ApiDeps {
  engine: Engine;
  store: Store;
  metrics: EngineMetrics;
  logger: Logger;
  apiKeys: readonly string[];
  /** Origins besides the engine's own whose pages may open the live stream (http.allowedOrigins). */
  allowedOrigins?: readonly string[];
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
}

/** Builds the HTTP API without listening (tests use inject(); the CLI calls listen()). */
export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }),
    // Per-request logging halves throughput; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024 * 1024,
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Callflow Engine API',
        version: '0.1.0',
        description: 'Call records built from Asterisk ARI events: history, live stream, statistics.',
      },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
      security: deps.apiKeys.length > 0 ? [{ apiKey: [] }] : [],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024 } });
  // Authorization is decided per matched route (src/api/auth.ts); routes declare their access.
  const keys = new ApiKeys(deps.apiKeys);
  app.addHook('onRequest', apiKeyHook(keys));

  await app.register(healthRoutes({ health: deps.health, keys }));
  await app.register(statsRoutes(deps));
  await app.register(callRoutes(deps));
  await app.register(eventRoutes(deps));
  await app.register(quarantineRoutes(deps));
  await app.register(liveRoutes({ ...deps, keys }));
  await app.register(metricsRoutes(deps));
  for (const plugin of deps.plugins ?? []) await app.register(plugin);
  await app.register(async (docs) => {
    // The docs UI's page and assets are public so a browser can show them; the document itself needs a key.
    defaultAccess(docs, (url) => (url.startsWith('/docs/json') || url.startsWith('/docs/yaml') ? 'key' : 'public'));
    await docs.register(fastifySwaggerUi, { routePrefix: '/docs' });
  });

  const webRoot = deps.webRoot;
  if (webRoot && existsSync(webRoot)) {
    await app.register(async (web) => {
      // The dashboard's files hold no data: its login shows without a key.
      defaultAccess(web, () => 'public');
      await web.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: false, index: ['index.html'] });
    });
  }
  return app as unknown as FastifyInstance;
}
