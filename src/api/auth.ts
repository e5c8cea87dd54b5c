import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES } from '../errors.ts';

// API keys: when any are configured, every API endpoint but /health needs one, given as the
// `x-api-key` header, `Authorization: Bearer <key>`, or `?apiKey=` (WebSocket and download links,
// which browsers cannot give headers). The dashboard's static files stay public so its login shows.

const PUBLIC_PREFIXES = ['/health', '/integrations/'];

function isPublic(url: string): boolean {
  const path = url.split('?')[0] ?? url;
  if (PUBLIC_PREFIXES.some((p) => path === p || path.startsWith(p))) return true;
  return !(path.startsWith('/api') || path.startsWith('/docs') || path === '/metrics');
}

function keyOf(request: FastifyRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = request.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const query = request.query as Record<string, unknown> | undefined;
  if (query && typeof query.apiKey === 'string') return query.apiKey;
  const match = /[?&]apiKey=([^&]+)/.exec(request.url);
  return match ? decodeURIComponent(match[1]!) : null;
}

function matches(candidate: string, keys: readonly Buffer[]): boolean {
  const c = Buffer.from(candidate);
  let ok = false;
  for (const k of keys) if (k.length === c.length && timingSafeEqual(k, c)) ok = true;
  return ok;
}

export function apiKeyHook(apiKeys: readonly string[]) {
  const keys = apiKeys.map((k) => Buffer.from(k));
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (keys.length === 0 || isPublic(request.url)) return;
    const key = keyOf(request);
    if (key && matches(key, keys)) return;
    await reply.code(401).send({ code: ERROR_CODES.UNAUTHORIZED, message: 'a valid API key is required (x-api-key header)' });
  };
}
