import type { ServerResponse } from 'node:http';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply } from 'fastify';
import helmet from 'helmet';

// Response headers that hold the engine's answers to what they are, and CORS, off unless origins are allowed.
//
// Pages (the dashboard's files, the /docs UI) get helmet's full set from @fastify/helmet, registered in
// their contexts only: scripts, styles and connections only from the engine itself (nothing is loaded from
// elsewhere), no framing by other sites, no MIME sniffing, no referrer leaving the page. Every other answer
// (JSON, CSV, metrics, errors) is never a page to run, and gets a short fixed set computed once by helmet: a
// policy that lets it run nothing and be framed nowhere, nosniff, no referrer, same-origin reads.
// @fastify/helmet runs two hooks and builds its middleware again on every request, and a page's set is a
// dozen headers; the API answers tens of thousands of requests a second, so it pays for neither.
//
// No `upgrade-insecure-requests`: the engine is usually reached over plain HTTP on a LAN address, where
// upgrading its own scripts to https would leave the dashboard blank. HSTS only reaches a browser over
// HTTPS (a TLS proxy in front), and then covers this host alone, not its subdomains.

const HSTS = { maxAge: 180 * 24 * 3600, includeSubDomains: false };

const PAGE_CSP: Record<string, string[]> = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  // 'self' covers the live WebSocket on the same host and port (CSP Level 3).
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
};

const API_HEADERS: Record<string, string> = headersOf(
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: HSTS,
    // What only a document uses: left out of API answers.
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  }),
);

/** The headers a helmet middleware sets, read once from a response that records them. */
function headersOf(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  middleware({} as never, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

export interface SecurityHeaderOptions {
  /** Origins besides the engine's own whose pages may call the API (http.allowedOrigins). */
  allowedOrigins: readonly string[];
}

/** Registers the API answers' headers and, when origins are allowed, CORS. Call before the authentication hook. */
export async function registerSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions): Promise<void> {
  // Every answer starts with the API set; a page's context replaces it with the page set (registerPageHeaders).
  // Set on the raw response, where helmet sets its own: a page's headers then replace these one by one.
  const apiHeaders = Object.entries(API_HEADERS);
  app.addHook('onRequest', (_request, reply: FastifyReply, done) => {
    for (const [name, value] of apiHeaders) reply.raw.setHeader(name, value);
    done();
  });
  if (options.allowedOrigins.length === 0) return;
  const allowed = new Set(options.allowedOrigins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  // Registered before the key check, so a preflight (which never carries the key) is answered here; a
  // request from any other origin gets no CORS headers and the browser keeps the answer from its page.
  await app.register(fastifyCors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin.toLowerCase())),
    methods: ['GET', 'HEAD', 'POST'],
    allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'idempotency-key'],
    exposedHeaders: ['retry-after', 'content-disposition'],
    credentials: false,
    maxAge: 600,
    strictPreflight: false,
  });
}

/**
 * Gives the routes registered inside `scope` (an encapsulated context) the pages' headers, through
 * @fastify/helmet registered there only, so that API requests never run its hooks. Routes for which
 * `isPage` is false keep the API set.
 */
export async function registerPageHeaders(scope: FastifyInstance, isPage: (url: string) => boolean): Promise<void> {
  scope.addHook('onRoute', (route) => {
    if (!isPage(route.url ?? route.path)) (route as { helmet?: false }).helmet = false;
  });
  await scope.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: PAGE_CSP },
    strictTransportSecurity: HSTS,
    xFrameOptions: { action: 'deny' },
    crossOriginEmbedderPolicy: false,
  });
}

/**
 * The policy of the /docs pages: swagger-ui's bundle adds <style> elements to the page as it draws, which
 * 'self' alone would refuse. Scripts stay 'self' only.
 */
export function docsCsp(header: string | number | string[]): string {
  const text = Array.isArray(header) ? header.join('; ') : String(header);
  return text.replace(/(^|;)\s*style-src [^;]*/, "$1style-src 'self' 'unsafe-inline'");
}
