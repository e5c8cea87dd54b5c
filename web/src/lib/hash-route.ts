// Hash routing (`#/history?direction=inbound`, `#/calls/<id>`): the engine serves one index.html at `/`,
// so every view must be addressable without server-side routes.

export const ROUTING_PAGES = ['numbers', 'extensions', 'ring-groups', 'ivr-menus', 'schedules', 'voicemail', 'conferences', 'announcements'] as const;
export type RoutingPageName = (typeof ROUTING_PAGES)[number];

export type Route =
  | { view: 'live' }
  | { view: 'history'; params: URLSearchParams }
  | { view: 'call'; id: string }
  | { view: 'stats'; params: URLSearchParams }
  | { view: 'health' }
  | { view: 'users' }
  | { view: 'keys' }
  | { view: 'audit' }
  | { view: 'crm' }
  | { view: 'tenants' }
  | { view: 'tenant'; id: string }
  | { view: 'routing'; page: RoutingPageName }
  /** The operator console; `wall`: the wall-board layout for a TV (no navigation, large tiles). */
  | { view: 'console'; wall: boolean }
  | { view: 'account' };

export function parseRoute(hash: string): Route {
  const body = hash.replace(/^#/, '');
  const queryAt = body.indexOf('?');
  const path = queryAt === -1 ? body : body.slice(0, queryAt);
  const params = new URLSearchParams(queryAt === -1 ? '' : body.slice(queryAt + 1));
  const parts = path.split('/').filter((part) => part !== '');
  switch (parts[0]) {
    case 'history':
      return { view: 'history', params };
    case 'calls':
      if (parts[1]) return { view: 'call', id: decodeURIComponent(parts.slice(1).join('/')) };
      return { view: 'history', params };
    case 'stats':
      return { view: 'stats', params };
    case 'health':
      return { view: 'health' };
    case 'users':
    case 'keys':
    case 'audit':
    case 'account':
      return { view: parts[0] };
    case 'settings':
      if (parts[1] === 'crm') return { view: 'crm' };
      return { view: 'live' };
    case 'routing': {
      const page = ROUTING_PAGES.find((name) => name === parts[1]);
      return { view: 'routing', page: page ?? 'numbers' };
    }
    case 'console':
      return { view: 'console', wall: params.get('wall') === '1' };
    case 'tenants':
      if (parts[1]) return { view: 'tenant', id: decodeURIComponent(parts[1]) };
      return { view: 'tenants' };
    default:
      return { view: 'live' };
  }
}

export function routeHref(route: Route): string {
  switch (route.view) {
    case 'live':
      return '#/';
    case 'history':
    case 'stats': {
      const query = route.params.toString();
      return `#/${route.view}${query ? `?${query}` : ''}`;
    }
    case 'call':
      return `#/calls/${encodeURIComponent(route.id)}`;
    case 'health':
    case 'users':
    case 'keys':
    case 'audit':
    case 'tenants':
    case 'account':
      return `#/${route.view}`;
    case 'tenant':
      return `#/tenants/${encodeURIComponent(route.id)}`;
    case 'crm':
      return '#/settings/crm';
    case 'routing':
      return `#/routing/${route.page}`;
    case 'console':
      return route.wall ? '#/console?wall=1' : '#/console';
  }
}

export function callHref(id: string): string {
  return routeHref({ view: 'call', id });
}
