import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { RouteAccess } from './auth.ts';
import type { Permission } from '../tenants/permissions.ts';

// Every route the server holds, as Fastify registered it (including routes of plugins we do not write and
// the HEAD twins of GET routes), with the access each finally declares. The access tests walk it, so a route
// added later is tried without anyone listing it. The 405 answer's Allow header asks Fastify's router the
// same question for one path (allowedMethods).

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  /** Who may call it (src/api/auth.ts), as finally declared: plugin contexts may set it after this table saw the route. */
  readonly access: RouteAccess;
  /** What a 'key' route's caller must hold (absent: operators only). */
  readonly permission: Permission | undefined;
  readonly websocket: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered so far (src/api/route-table.ts). */
    readonly routeTable: readonly RouteEntry[];
  }
}

/** Starts recording routes; call on the root instance before any route is registered. */
export function recordRoutes(app: FastifyInstance): void {
  const seen: { route: RouteOptions; methods: string[]; url: string }[] = [];
  app.decorate('routeTable', {
    getter: (): RouteEntry[] =>
      unique(seen).flatMap(({ route, methods, url }) =>
        methods.map((method) => ({
          method,
          url,
          // Read when asked for: hooks of an inner context (defaultAccess) run after this one.
          access: route.config?.access ?? 'key',
          permission: route.config?.permission,
          websocket: (route as { websocket?: boolean }).websocket === true,
        })),
      ),
  });
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat().map((m) => m.toUpperCase());
    seen.push({ route, methods, url: route.url });
    // A plugin's '/' route is registered both without and with the slash ('/docs' and '/docs/'); Fastify
    // runs onRoute hooks for the first only, and then reuses this object for the second.
    const twin = route as RouteOptions & { routePath?: string; prefix?: string };
    if (twin.routePath === '' && twin.prefix && (route.prefixTrailingSlash ?? 'both') === 'both') {
      seen.push({ route, methods, url: `${route.url}/` });
    }
  });
}

function unique<T extends { methods: string[]; url: string }>(entries: T[]): T[] {
  const byKey = new Map<string, T>();
  for (const e of entries) byKey.set(`${e.methods.join(',')} ${e.url}`, e);
  return [...byKey.values()];
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Methods some route answers on the request's path; empty when the path is unknown. */
export function allowedMethods(request: FastifyRequest): string[] {
  const path = request.url.split('?', 1)[0] ?? '/';
  return METHODS.filter((method) => request.server.findRoute({ method, url: path }) !== null);
}
