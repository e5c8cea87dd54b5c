import type { FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES } from '../errors.ts';
import type { Principal } from '../tenants/principal.ts';
import { INVALID, type Authenticator } from './authenticate.ts';
import type { LiveTickets } from './live-tickets.ts';

// Who may open WS /api/live (a route with access 'self', see auth.ts). Checked before the upgrade, so a
// refused client gets a plain HTTP answer (403, 401) and never a socket.
//
// Origin: a browser sends the page's origin with every WebSocket handshake and, unlike fetch, no CORS rule
// stops a page of another site from opening a socket to us and reading what comes. So a handshake that
// names an origin must name the engine's own (the host the request was sent to) or one configured in
// http.allowedOrigins. Clients that are not browsers send no Origin and are judged by their credential.
//
// Credential: an API key in a header (x-api-key, Authorization: Bearer) for programs, or a ticket in the
// query for browsers (live-tickets.ts). While the API is open (authenticate.ts), neither is needed. The
// connection acts as the principal found, and is sent only what it may see.

/** `scheme://host[:port]` as browsers write it (lower case, default port left out); null when not a URL. */
function normalizedOrigin(text: string): string | null {
  try {
    const url = new URL(text);
    return url.origin === 'null' ? null : url.origin;
  } catch {
    return null;
  }
}

export class LiveAccess {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    private readonly door: Authenticator,
    private readonly tickets: LiveTickets,
    allowedOrigins: readonly string[],
  ) {
    this.allowed = new Set(allowedOrigins.map((origin) => normalizedOrigin(origin) ?? origin));
  }

  /** The connection's principal; throws CF_FORBIDDEN for a foreign origin, CF_UNAUTHORIZED without a valid credential. */
  async check(request: FastifyRequest, ticket: string | undefined): Promise<Principal> {
    if (!this.originAllowed(request)) {
      throw new AppError(ERROR_CODES.FORBIDDEN, 'this origin may not open the live stream (see http.allowedOrigins)');
    }
    if (ticket !== undefined) {
      const holder = this.tickets.redeem(ticket);
      if (holder !== undefined && holder !== null) return holder;
    }
    const found = await this.door.identify(request);
    if (found !== null && found !== INVALID) return found;
    throw new AppError(
      ERROR_CODES.UNAUTHORIZED,
      'the live stream needs a ticket (POST /api/live/tickets, then ?ticket=) or an API key header; a ticket opens one connection within its lifetime',
    );
  }

  private originAllowed(request: FastifyRequest): boolean {
    const header = request.headers.origin;
    if (header === undefined) return true;
    const origin = normalizedOrigin(header);
    if (origin === null) return false;
    if (this.allowed.has(origin)) return true;
    const host = request.headers.host;
    if (host === undefined) return false;
    // The page's own engine: the same host and port the handshake was addressed to. The scheme is taken
    // from the origin, since behind a TLS proxy the engine itself may see plain HTTP.
    return normalizedOrigin(`${new URL(origin).protocol}//${host}`) === origin;
  }
}
