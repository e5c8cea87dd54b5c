import { z } from 'zod';
import { crmConfigSchema } from '../crm/config.ts';
import { celSourceSchema } from './cel-schema.ts';
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
  /** Asterisk's CEL, read to backfill the windows in which this server's events could not be seen. */
  cel: celSourceSchema.optional(),
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
  /**
   * A call whose first channel was dialled on its own (an originate through ARI or AMI, by this engine or
   * another application) towards a trunk or a number that is no extension is outbound, whatever the
   * channel's context, and the number it dialled is the client's.
   */
  originatedOutbound: z.boolean().default(true),
});
export type DirectionRules = z.infer<typeof directionRules>;

/** The live stream (WS /api/live): tickets, what is kept for reconnecting clients, and per-client bounds. */
export const liveConfigSchema = z
  .object({
    /** How long a ticket from POST /api/live/tickets may wait before it opens the live stream. */
    ticketTtlMs: z.number().int().min(1_000).max(300_000).default(30_000),
    /** Changes kept for clients that reconnect (they get what they missed instead of a new snapshot). */
    replayMessages: z.number().int().min(0).max(1_000_000).default(10_000),
    /** Bytes of changes kept for clients that reconnect. */
    replayBytes: z.number().int().min(0).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
    /** Open calls a snapshot carries at most (the newest); it says when there were more. */
    snapshotMaxCalls: z.number().int().min(1).max(1_000_000).default(5_000),
    /** Bytes a snapshot takes at most. */
    snapshotMaxBytes: z.number().int().min(64 * 1024).max(256 * 1024 * 1024).default(8 * 1024 * 1024),
    /** Bytes a client may leave unread, beyond its opening frames, before it is disconnected as too slow. */
    clientBufferBytes: z.number().int().min(64 * 1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
  });
export type LiveConfig = z.infer<typeof liveConfigSchema>;
/** The defaults, for parts built without a configuration (tests, benchmarks). */
export const LIVE_DEFAULTS: LiveConfig = liveConfigSchema.parse({});

export const configSchema = z.object({
  http: httpConfigSchema,
  live: liveConfigSchema.prefault({}),
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
  secrets: z
    .object({
      /**
       * Seals tenants' CRM secrets at rest: the base64 of 32 random bytes. Absent: `<dataDir>/secrets.key`,
       * made at first start (checked when loaded, see src/tenants/secret-box.ts).
       */
      key: z.string().optional(),
    })
    .prefault({}),
  ari: z.object({ servers: z.array(ariServer).default([]) }).prefault({}),
  routing: z
    .object({
      /**
       * Base URL at which Asterisk reaches this engine's HTTP server, to fetch prompt audio
       * (`sound:<base>/media/prompts/<key>.wav`). Absent: `http://127.0.0.1:<the port listened on>` (Asterisk on
       * this machine).
       */
      mediaBaseUrl: z
        .string()
        .max(500)
        .refine((u) => /^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(u), 'an http(s) URL')
        .optional(),
      /** Dialplan context of the PJSIP endpoints the engine provisions for extensions (docs/routing.md, "Provisioning"). */
      phoneContext: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,80}$/, 'letters, digits, - and _ (at most 80)')
        .default('callflow-phones'),
      /** A pjsip.conf transport to pin provisioned endpoints to; absent: Asterisk picks one. */
      phoneTransport: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,80}$/, 'letters, digits, ., - and _ (at most 80)')
        .optional(),
      /** Call recordings older than this many days are deleted (the file on Asterisk and its row); 0 keeps them. */
      recordingRetentionDays: z.number().int().min(0).max(36_500).default(90),
    })
    .prefault({}),
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
      /** How long a stop waits for the database to take what is pending before spooling the rest. */
      stopDeadlineMs: z.number().int().min(0).max(600_000).default(10_000),
      /** Folder of the stop spool and the spill log; default `<dataDir>/spool`. */
      spoolDir: z.string().min(1).optional(),
      /**
       * Largest size of the spill log: events received while the database falls behind wait there, on local
       * disk, instead of pausing the sources. Past it events are lost (counted, logged, in /health).
       */
      spillMaxBytes: z.number().int().min(1024 * 1024).max(1024 ** 4).default(2 * 1024 ** 3),
    })
    .prefault({}),
  calls: z
    .object({
      /**
       * Silence (no event) after which an open call is stale. Calls of a connected Asterisk are kept while
       * Asterisk still has one of their channels; other calls are closed. See docs/configuration.md.
       */
      staleAfterMs: z.number().int().min(1_000).max(7 * 24 * 3_600_000).default(2 * 3_600_000),
      /** How long a server's socket may be down (or the server gone from the configuration) before its silent calls close. */
      disconnectedGraceMs: z.number().int().min(1_000).max(7 * 24 * 3_600_000).default(30 * 60_000),
      /** How often the stale-call sweep looks at the open calls. */
      sweepIntervalMs: z.number().int().min(100).max(3_600_000).default(60_000),
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
