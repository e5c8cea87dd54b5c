import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

// Response headers that make a browser hold the engine's pages to what they are: scripts, styles and
// connections only from the engine itself (the dashboard and /docs load nothing from elsewhere), no framing
// by other sites, no MIME sniffing, no referrer leaving the page. And CORS, off unless origins are allowed.
//
// No `upgrade-insecure-requests`: the engine is usually reached over plain HTTP on a LAN address, where
// upgrading its own scripts to https would leave the dashboard blank. HSTS only reaches a browser over
// HTTPS (a TLS proxy in front), and then covers this host alone, not its subdomains.

const CSP_DIRECTIVES: Record<string, string[]> = {
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

export interface SecurityHeaderOptions {
  /** Origins besides the engine's own whose pages may call the API (http.allowedOrigins). */
  allowedOrigins: readonly string[];
}

/** Registers helmet and, when origins are allowed, CORS. Call before the authentication hook is added. */
export async function registerSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions): Promise<void> {
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    strictTransportSecurity: { maxAge: 180 * 24 * 3600, includeSubDomains: false },
    crossOriginEmbedderPolicy: false,
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
 * The policy of the /docs pages: swagger-ui's bundle adds <style> elements to the page as it draws, which
 * 'self' alone would refuse. Scripts stay 'self' only.
 */
export function docsCsp(header: string | number | string[]): string {
  const text = Array.isArray(header) ? header.join('; ') : String(header);
  return text.replace(/(^|;)\s*style-src [^;]*/, "$1style-src 'self' 'unsafe-inline'");
}
