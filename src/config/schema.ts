import { z } from 'zod';
import { crmConfigSchema } from '../crm/config.ts';
import { httpConfigSchema } from './http-schema.ts';

// The whole configuration, parsed once at start-up (see load.ts) and passed down frozen.

const ariServer = z.object({
  /** Name used in call records, health and metrics. */
  name: z.string().min(1).default('default'),
  /** Base URL of Asterisk's HTTP server, e.g. http://127.0.0.1:8088 (the /ari suffix is optional). */
  url: z.url(),
  username: z.string().min(1),
  password: z.string().min(1),
  app: z.string().min(1).default('callflow'),
  subscribeAll: z.boolean().default(true),
});
export type AriServerConfig = z.infer<typeof ariServer>;

const directionRules = z.object({
  /** Dialplan contexts where calls from outside (trunks) arrive. */
  inboundContexts: z.array(z.string()).default(['from-trunk', 'from-pstn', 'from-external', 'from-did', 'from-sip-external']),
  /** Dialplan contexts where the organisation's own phones start calls. */
  internalContexts: z.array(z.string()).default(['from-internal', 'from-phones', 'default-internal']),
  /** Endpoints (channel name prefixes such as `PJSIP/provider`) that are trunks to the outside. */
  trunkEndpoints: z.array(z.string()).default([]),
  /** A number matching this pattern is an internal extension. */
  extensionPattern: z.string().default('^\\d{2,5}$'),
});
export type DirectionRules = z.infer<typeof directionRules>;

export const configSchema = z.object({
  http: httpConfigSchema,
  database: z
    .object({
      /** PostgreSQL connection string; when absent an embedded PostgreSQL (PGlite) is used. */
      url: z.string().optional(),
      /** Folder of the embedded database. */
      dataDir: z.string().default('./data'),
      poolSize: z.number().int().min(1).max(100).default(10),
    })
    .prefault({}),
  redis: z.object({ url: z.string().optional() }).prefault({}),
  ari: z.object({ servers: z.array(ariServer).default([]) }).prefault({}),
  direction: directionRules.prefault({}),
  simulator: z
    .object({
      /** `auto`: run the simulator when no ARI server is configured. */
      mode: z.enum(['auto', 'on', 'off']).default('auto'),
      /** New simulated calls per second. */
      callsPerSecond: z.number().positive().max(1000).default(0.5),
      seed: z.number().int().default(1),
    })
    .prefault({}),
  ingest: z
    .object({
      /** Events buffered before the reader pauses the ARI socket (backpressure). */
      maxBufferedEvents: z.number().int().min(100).default(50_000),
      /** Largest batch committed in one transaction. */
      batchSize: z.number().int().min(1).max(20_000).default(2_000),
      /** Longest an event waits before its batch is committed. */
      flushIntervalMs: z.number().int().min(1).max(10_000).default(20),
    })
    .prefault({}),
  crm: crmConfigSchema.prefault({}),
  log: z
    .object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type HttpConfig = Config['http'];
export type ConfigInput = z.input<typeof configSchema>;
