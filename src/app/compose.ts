import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AriConnection } from '../ari/client.ts';
import type { AriBridge, AriChannel } from '../ari/types.ts';
import { IdempotencyKeys } from '../api/idempotency.ts';
import { buildServer } from '../api/server.ts';
import { isLoopbackHost } from '../config/http-schema.ts';
import type { Config } from '../config/schema.ts';
import { createCrm, type Crm } from '../crm/crm-service.ts';
import { getCrmLinks } from '../crm/links.ts';
import type { Originate } from '../crm/bitrix24/click-to-call.ts';
import { directionPolicy } from '../domain/direction.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import { Redis } from 'ioredis';
import { Simulator } from '../sim/simulator.ts';
import { cacheListings, DEFAULT_LISTING_CACHE } from '../store/listing-cache.ts';
import { openStore } from '../store/open-store.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { Engine, type EventSource } from './engine.ts';
import { GapRecorder } from './gaps.ts';
import { CelBackfill, type CelServerSource } from './cel-backfill.ts';
import { jsonlCelSource } from '../cel/jsonl-source.ts';
import { tableCelSource } from '../cel/table-source.ts';
import { TenantDirectory } from '../tenants/tenant-directory.ts';
import { loadTenantRuleSet } from '../tenants/rule-set.ts';
import { Spool } from './spool.ts';
import { TenantStore } from '../tenants/tenant-store.ts';
import { RoutingStore } from '../routing/objects/routing-store.ts';
import { RecordingStore } from '../routing/recordings/recording-store.ts';
import { RoutingService } from '../routing/runtime/routing-service.ts';
import { createProvisioning } from '../routing/provisioning/index.ts';
import { loadSecretsKey } from '../tenants/secret-box.ts';
import { SpillLog } from './spill-log.ts';
import { createHealthCheck } from './health.ts';
import { createMetrics, type EngineMetrics } from './metrics.ts';

// The composition root: the only place that builds adapters from configuration and wires them.

export interface App {
  config: Config;
  store: SqlStore;
  engine: Engine;
  metrics: EngineMetrics;
  server: FastifyInstance;
  simulator: Simulator | null;
  crm: Crm;
  /**
   * The rules calls get their tenant by; empty (every call the default tenant's) until `tenants.replace` is
   * given the rules read from the database, and again whenever they change.
   */
  tenants: TenantDirectory;
  /** Tenants' call routing objects (src/routing/objects). */
  routing: RoutingStore;
  /** Starts ingesting and listening; resolves with the bound address. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

const STORE_CLOSE_WAIT_MS = 5_000;

const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');

function ariSource(engine: Engine, connection: AriConnection): EventSource {
  return {
    name: connection.serverName,
    kind: 'ari',
    start: () => connection.start(),
    stop: () => connection.stop(),
    pause: () => connection.pause(),
    resume: () => connection.resume(),
  };
}

export function simulatorEnabled(config: Config): boolean {
  return config.simulator.mode === 'on' || (config.simulator.mode === 'auto' && config.ari.servers.length === 0);
}

export async function createApp(config: Config, logger: Logger): Promise<App> {
  const metrics = createMetrics();
  const store = cacheListings(await openStore({ url: config.database.url, dataDir: config.database.dataDir, poolSize: config.database.poolSize, logger }), {
    maxAgeMs: config.http.listingCacheMs,
    maxBytes: DEFAULT_LISTING_CACHE.maxBytes,
    onLookup: (answer) => metrics.listingLookups.inc({ answer }),
  });
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  const policy = directionPolicy(config.direction);
  const accounts = new TenantStore(store.sql);
  // Tenants' call routing (docs/routing.md), over the same database.
  const routing = new RoutingStore(store.sql);
  const recordings = new RecordingStore(store.sql);
  const tenants = new TenantDirectory();
  // Calls are given their tenant by the rules as stored, read before the first event and after every change.
  const loadTenantRules = async (): Promise<void> => tenants.replace(await loadTenantRuleSet(accounts));
  await loadTenantRules();
  const redis = config.redis.url ? new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 }) : null;
  // ioredis reconnects by itself; without a listener each failed attempt would be an unhandled 'error'. What a
  // lost Redis costs is reported where it shows (the CRM rate limiter falls back per instance and says so).
  redis?.on('error', () => undefined);
  const connections = new Map<string, AriConnection>();
  const secrets = await loadSecretsKey({ configured: config.secrets.key, dataDir: config.database.dataDir });
  logger.info(
    { source: secrets.source, path: secrets.path, created: secrets.created },
    secrets.source === 'configured'
      ? 'tenant CRM secrets are sealed under SECRETS_KEY'
      : secrets.source === 'file'
        ? `tenant CRM secrets are sealed under the key in ${secrets.path}${secrets.created ? ' (made now: keep it with the database backups, or set SECRETS_KEY)' : ''}`
        : 'tenant CRM secrets are sealed under a key made for this run (in-memory database)',
  );
  const crm = createCrm({
    secretsKey: secrets.key,
    config: config.crm,
    sql: store.sql,
    logger: logger.child({ component: 'crm' }),
    registry: metrics.registry,
    ...(redis ? { redis } : {}),
    extensionPattern: config.direction.extensionPattern,
    getCall: (id) => store.getCall(id),
    originate: clickToCall(config, connections),
    // Bitrix24 gets recordings and voicemail messages uploaded; the routing service below fetches them over ARI.
    recordingAudio: (name) => routingService.recordingAudio(name),
  });
  // Each tenant's stored CRM settings replace, for the default tenant, the environment's.
  for (const stored of await accounts.listTenantCrm()) crm.applyStored(stored.tenantId, stored.config);
  const spoolDir = spoolDirOf(config);
  const temporarySpool = config.ingest.spoolDir === undefined && config.database.dataDir.startsWith('memory://');
  const engine = new Engine({
    store,
    logger,
    metrics,
    policy,
    tenantOf: tenants.tenantOf,
    ingest: config.ingest,
    planOutbox: (change) => crm.plan(change),
    spool: new Spool(spoolDir),
    spillLog: new SpillLog({ dir: spoolDir, maxBytes: config.ingest.spillMaxBytes }),
    stopDeadlineMs: config.ingest.stopDeadlineMs,
    sweep: config.calls,
    live: config.live,
  });

  // Routed calls (docs/routing.md): flows run per ARI server; Asterisk fetches prompt audio from this server.
  let listenedAt: string | null = null;
  const routingService = new RoutingService({
    store: routing,
    logger,
    dataDir: config.database.dataDir,
    secretsKey: secrets.key,
    mediaBaseUrl: () => config.routing.mediaBaseUrl ?? listenedAt ?? `http://127.0.0.1:${config.http.port}`,
    ingest: (server, text) => void engine.acceptRaw(text, new Date(), server),
    recordings,
    recordingRetentionDays: config.routing.recordingRetentionDays,
    outbox: {
      // What the call has ingested so far is stored first: the recording ends as the call does.
      callOfChannel: async (server, channelId) => {
        await engine.ingestor.flush();
        const id = (await store.callIdsOfChannels(server, [channelId])).get(channelId);
        return id === undefined ? null : store.getCall(id);
      },
      planMedia: (call, type, media) => crm.planMedia(call, type, media),
      wake: () => crm.worker.wake(),
    },
    counters: {
      flowStarted: (server) => metrics.routingFlowsStarted.inc({ server }),
      commandFailed: (server) => metrics.routingCommandsFailed.inc({ server }),
      activeFlows: (server, active) => metrics.routingFlowsActive.set({ server }, active),
    },
  });

  // Extensions' PJSIP endpoints pushed to every ARI server, again at each (re)connection (docs/routing.md).
  const provisioning = createProvisioning({
    sql: store.sql,
    secretsKey: secrets.key,
    phoneContext: config.routing.phoneContext,
    phoneTransport: config.routing.phoneTransport,
    logger,
    registry: metrics.registry,
  });

  const gaps = new GapRecorder({ store, logger, runId: engine.ingestor.runId, onGap: (gap) => metrics.ariGaps.inc({ server: gap.server }) });
  const celSources = new Map<string, CelServerSource>();
  for (const s of config.ari.servers) {
    if (!s.cel) continue;
    const source = s.cel.jsonl !== undefined ? jsonlCelSource(s.cel.jsonl) : tableCelSource(store.sql, s.cel.table!);
    celSources.set(s.name, { source, marginMs: s.cel.marginMs, maxRows: s.cel.maxRows });
  }
  const celBackfill = new CelBackfill({
    store,
    logger: logger.child({ component: 'cel-backfill' }),
    sources: celSources,
    registry: (server) => engine.pipeline.registry(server),
    hydrate: (server, events, stored) => engine.pipeline.hydrate(server, events.map((e) => ({ event: e.event, receivedAt: e.receivedAt })), stored),
    flush: () => engine.ingestor.flush(),
    ingest: (server, events) => engine.ingestBackfill(server, events),
    onResult: (server, r) => {
      metrics.celChannels.inc({ server, kind: 'new' }, r.newChannels);
      metrics.celChannels.inc({ server, kind: 'corrected' }, r.correctedChannels);
    },
    onInvalidRows: (server, rows) => metrics.celRowsInvalid.inc({ server }, rows),
    onFailed: (server) => metrics.celBackfillsFailed.inc({ server }),
  });
  for (const server of config.ari.servers) {
    const log = logger.child({ component: 'ari', server: server.name });
    const connection: AriConnection = new AriConnection(
      server,
      {
        onEvent: (bytes, receivedAt) => {
          const result = engine.acceptBytes(bytes, receivedAt, server.name);
          flows.onFrame(bytes);
          // Without subscribeAll, Asterisk stops telling about a channel at StasisEnd; subscribing to it
          // explicitly keeps its ChannelDestroyed (and hangup cause) coming.
          if (!server.subscribeAll && result.ok && result.type === 'StasisStart' && result.channelId) {
            connection.rest.subscribe(server.app, `channel:${result.channelId}`).catch((error: unknown) => {
              log.warn({ err: (error as Error).message }, 'could not subscribe to a channel');
            });
          }
        },
        onStateChange: (state) => gaps.onState(server.name, state),
        onConnected: async () => {
          provisioning.provisioner.connected(server.name);
          if (!server.subscribeAll) log.warn('subscribeAll is off: calls that never enter Stasis are invisible and hangup causes after StasisEnd are lost');
          // The window this connection closed is filled from CEL first: calls that ended in it then end with
          // Asterisk's own hangup, and the resync only settles what CEL did not tell.
          if (celBackfill.hasSource(server.name)) await celBackfill.backfillClosed(server.name, await gaps.closedGap(server.name));
          let view: { channels: AriChannel[]; bridges: AriBridge[] } | null = null;
          await engine.resync(server.name, async () => (view = { channels: await connection.rest.listChannels(), bridges: await connection.rest.listBridges() }));
          // Phones' states first: a flow taken over below rings only the phones that can answer.
          await connection.rest
            .listEndpoints('PJSIP')
            .then((endpoints) => flows.seedPhones(endpoints))
            .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'could not read the phones\' states (presence)'));
          // Routed calls no flow drives (this engine restarted meanwhile) are taken over, never left in silence.
          const seen = view as { channels: AriChannel[]; bridges: AriBridge[] } | null;
          if (seen) await flows.takeOver(seen.channels, seen.bridges).catch((error: unknown) => log.error({ err: error }, 'routed calls could not be taken over'));
        },
      },
      { logger: log },
    );
    const flows = routingService.runtimeFor(server.name, connection.rest, server.app);
    connections.set(server.name, connection);
    provisioning.provisioner.addServer(server.name, connection.rest);
    engine.addConnection(connection, ariSource(engine, connection));
  }

  let simulator: Simulator | null = null;
  if (simulatorEnabled(config)) {
    const serverName = 'simulator';
    const sim = new Simulator({
      seed: config.simulator.seed,
      callsPerSecond: config.simulator.callsPerSecond,
      withChannelvars: true,
      sink: (text, receivedAt) => engine.acceptRaw(text, receivedAt, serverName),
    });
    simulator = sim;
    // The simulator is paced by its own clock; backpressure has nothing to slow down there.
    engine.addSource({ name: serverName, kind: 'simulator', start: () => sim.start(), stop: async () => sim.stop(), pause: () => undefined, resume: () => undefined });
  }

  const health = createHealthCheck({
    store,
    engine,
    simulator,
    crm,
    timeoutMs: config.http.healthTimeoutMs,
  });

  const server = await buildServer({
    engine,
    store,
    metrics,
    logger,
    apiKeys: config.http.apiKeys,
    accounts: {
      tenants: accounts,
      routing,
      // The next call of the tenant reads its routing anew.
      onRoutingChanged: (tenantId: string) => routingService.changed(tenantId),
      media: {
        recordingAudio: (name: string) => routingService.recordingAudio(name),
        deleteRecordingAudio: (name: string) => routingService.deleteRecordingAudio(name),
        presence: (tenantId: string) => routingService.presence(tenantId),
        recordings,
      },
      sip: provisioning.sip,
      // Open while no keys and no users exist only where the configuration already allows a keyless API.
      openAllowed: isLoopbackHost(config.http.host) || config.http.insecureNoAuth,
      onRulesChanged: async () => {
        await loadTenantRules();
        // Numbers given to or taken from tenants: routed calls look their owner up anew.
        routingService.numbersChanged();
      },
      crm: { secretsKey: secrets.key, current: (tenantId: string) => crm.tenants.get(tenantId), environment: crm.environment, apply: (tenantId: string, stored: unknown) => crm.applyStored(tenantId, stored) },
    },
    http: config.http,
    live: config.live,
    health,
    plugins: [crm.routes, routingService.routes],
    crmLinks: (callId) => getCrmLinks(store.sql, callId),
    webRoot: WEB_ROOT,
    // Posted events get their own channel namespace unless they name a server: a recorded trace must
    // never be grouped with the live calls of a connected Asterisk or of the simulator.
    defaultServer: 'api',
    idempotency: new IdempotencyKeys(store.sql),
  });

  return {
    config,
    store,
    routing,
    engine,
    metrics,
    server,
    simulator,
    crm,
    tenants,
    async start() {
      await engine.start();
      if (simulator) {
        // Simulated calls left open by an earlier run can never finish: the new simulator does not have them.
        const sim = simulator;
        await engine.resync('simulator', async () => ({ channels: sim.listChannels() as unknown as AriChannel[], bridges: [] }));
      }
      if (redis) await redis.connect().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'Redis unreachable; CRM rate limits fall back per instance'));
      crm.worker.start();
      routingService.startRetention();
      const address = await server.listen({ host: config.http.host, port: config.http.port });
      listenedAt = loopbackBase(address);
      announceAccess(logger, config.http, address);
      return address;
    },
    async stop() {
      await server.close().catch(() => undefined);
      await routingService.close();
      await engine.stop();
      await crm.close();
      redis?.disconnect();
      // A database that stopped answering must not hold the process: what it had not taken is spooled already.
      await Promise.race([store.close(), new Promise((resolve) => setTimeout(resolve, STORE_CLOSE_WAIT_MS).unref())]);
      if (temporarySpool) rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

/** The listening address as Asterisk on this machine reaches it (a wildcard host becomes loopback). */
function loopbackBase(address: string): string {
  const url = new URL(address);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]' || url.hostname === '::') url.hostname = '127.0.0.1';
  return url.origin;
}

/** Says at start who can reach the API: a keyless engine must never be open to a network by surprise. */
function announceAccess(logger: Logger, http: Config['http'], address: string): void {
  if (http.apiKeys.length > 0) {
    logger.info({ host: http.host, address }, `API keys required; listening on ${http.host}`);
  } else if (isLoopbackHost(http.host)) {
    logger.info({ host: http.host, address }, `no API keys configured: listening on ${http.host} only, so only this machine can reach the API; set API_KEYS to serve other machines`);
  } else {
    logger.warn({ host: http.host, address }, `INSECURE: no API keys and listening on ${http.host} (CALLFLOW_INSECURE_NO_AUTH): anyone who can reach this port reads and changes every call record`);
  }
}

/**
 * Where the stop spool and the spill log live: `ingest.spoolDir`, else in the data folder. A data folder that is
 * only memory (tests) gets a temporary folder.
 */
function spoolDirOf(config: Config): string {
  if (config.ingest.spoolDir) return config.ingest.spoolDir;
  if (config.database.dataDir.startsWith('memory://')) return mkdtempSync(join(tmpdir(), 'callflow-spool-'));
  return join(config.database.dataDir, 'spool');
}

/** Click-to-call from a Bitrix24 portal: ring the employee's extension first (in the portal's context), then the client from it. */
function clickToCall(config: Config, connections: ReadonlyMap<string, AriConnection>): Originate | undefined {
  if (config.ari.servers.length === 0) return undefined;
  return async (p) => {
    const name = p.server ?? config.ari.servers[0]!.name;
    const connection = connections.get(name);
    if (!connection) throw new AppError(ERROR_CODES.ARI_UNAVAILABLE, `no ARI server named ${name} for click-to-call`);
    const channel = await connection.rest.originate({
      endpoint: `Local/${p.employeeExtension}@${p.context}`,
      context: p.context,
      extension: p.clientNumber,
      priority: 1,
      channelId: p.channelId,
      callerId: p.lineNumber || undefined,
    });
    return { channelId: channel.id };
  };
}
