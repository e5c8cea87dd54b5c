import { isIP } from 'node:net';
import { z } from 'zod';

// The HTTP edge's settings (docs/configuration.md, "HTTP"). Every bound has a default that is safe on a
// network shared with strangers: without API keys the engine listens on loopback only, and only an
// explicitly insecure setting lets it serve other machines without them.

export const LOOPBACK_HOST = '127.0.0.1';
export const ALL_INTERFACES = '0.0.0.0';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h) || /^(0+:){7}0*1$/.test(h);
  return false;
}

/** `10.0.0.1`, `10.0.0.0/8`, `fd00::1`, `fd00::/8`. */
function isAddressOrRange(value: string): boolean {
  const [address = '', bits, extra] = value.trim().split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const ms = (min: number, max: number, fallback: number) => z.number().int().min(min).max(max).default(fallback);

const httpFields = z.object({
  /**
   * Bind address. Default: 127.0.0.1 without API keys (nobody else can reach an open API), 0.0.0.0 with
   * them. Any other address without keys needs `insecureNoAuth`.
   */
  host: z.string().min(1).max(255).optional(),
  port: z.number().int().min(0).max(65535).default(4100),
  /** When non-empty, every endpoint but the public ones requires one of these keys. */
  apiKeys: z.array(z.string().min(8).max(512)).max(1000).default([]),
  /** Lets the engine listen on a non-loopback address with no API keys: anyone who reaches it reads every call. */
  insecureNoAuth: z.boolean().default(false),
  /**
   * Origins (scheme://host[:port]) of web pages allowed to call the API from a browser (CORS) and to open
   * the live WebSocket, besides the engine's own origin. Empty: only the engine's own pages.
   */
  allowedOrigins: z.array(z.string().min(1).max(256)).max(100).default([]),
  /**
   * Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed, so that throttling
   * counts the client behind them rather than the proxy. Empty: the socket's peer is the client.
   */
  trustedProxies: z.array(z.string().refine(isAddressOrRange, 'an IP address or CIDR range, e.g. 10.0.0.1 or 10.0.0.0/8')).max(100).default([]),
  /**
   * Longest a call listing (`GET /api/calls`) is answered from memory; every write of this engine ends it
   * sooner. It bounds how long another instance's writes to the same database stay unseen. 0: off.
   */
  listingCacheMs: ms(0, 60_000, 1_000),
  /** Largest request body a route takes unless it declares its own limit. */
  bodyLimitBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(1024 * 1024),
  /** A client must finish sending a request's headers within this time (slow-header clients are cut). */
  headersTimeoutMs: ms(100, 600_000, 10_000),
  /** A client must finish sending a whole request, body included, within this time. */
  requestTimeoutMs: ms(100, 3_600_000, 60_000),
  /** An idle keep-alive connection between requests is closed after this time. */
  keepAliveTimeoutMs: ms(100, 600_000, 72_000),
  /** A connection with no bytes moving either way, mid-request or mid-answer, is closed after this time. */
  idleTimeoutMs: ms(100, 3_600_000, 120_000),
  /** Open connections at most (the live streams' included); connections past it are closed as they come. */
  maxConnections: z.number().int().min(1).max(1_000_000).default(10_000),
  /** How often the server looks for requests past their header or request deadline. */
  connectionsCheckingIntervalMs: ms(50, 60_000, 1_000),
  /** Failed authentications one client address may make per window before it gets 429 for the rest of it; 0: no limit. */
  authFailureLimit: z.number().int().min(0).max(1_000_000).default(20),
  authFailureWindowMs: ms(1_000, 86_400_000, 60_000),
  /** Requests one API key may make per window; 0: no limit. */
  keyRateLimit: z.number().int().min(0).max(1_000_000_000).default(60_000),
  keyRateWindowMs: ms(1_000, 86_400_000, 60_000),
  /** Longest /health waits for the database and the CRM backlog before it reports them failing. */
  healthTimeoutMs: ms(50, 60_000, 1_500),
});

/** A non-loopback bind address with no keys and no explicit consent: the reason to refuse, else null. */
function openToStrangers(h: { host?: unknown; apiKeys?: unknown; insecureNoAuth?: unknown }): string | null {
  if (typeof h.host !== 'string' || isLoopbackHost(h.host)) return null;
  if ((Array.isArray(h.apiKeys) && h.apiKeys.length > 0) || h.insecureNoAuth === true) return null;
  return (
    `listening on ${h.host} without API keys would let anyone who reaches it read every call; ` +
    'set API_KEYS (http.apiKeys), or CALLFLOW_INSECURE_NO_AUTH=true (http.insecureNoAuth) to allow it anyway'
  );
}

export const httpConfigSchema = httpFields
  // Checked even when other fields are wrong, so that every problem is reported at once.
  .refine((h) => openToStrangers(h) === null, {
    path: ['host'],
    error: (issue) => openToStrangers(issue.input as object) ?? 'invalid host',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null && openToStrangers(payload.value) !== null,
  })
  .transform((h) => ({ ...h, host: h.host ?? (h.apiKeys.length > 0 ? ALL_INTERFACES : LOOPBACK_HOST) }))
  .prefault({});
