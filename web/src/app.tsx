// The shell: who is logged in, navigation (the views this session may see), hash routing and the login page.
import { useSyncExternalStore } from 'react';
import type { Session } from './api/account-types.ts';
import { AccountBar } from './components/account-bar.tsx';
import { LoginPage } from './components/login-page.tsx';
import { ErrorNote, Loading } from './components/page-state.tsx';
import { parseRoute, type Route } from './lib/hash-route.ts';
import { useLiveCalls } from './state/live-store.ts';
import { can, loadSession, useSession } from './state/session.ts';
import { useAuthState } from './state/use-api.ts';
import { AccountView } from './views/account-view.tsx';
import { AuditView } from './views/audit-view.tsx';
import { CrmSettingsView } from './views/crm-settings-view.tsx';
import { CallDetailView } from './views/call-detail-view.tsx';
import { ConsoleView } from './views/console-view.tsx';
import { FirstOperatorPanel } from './views/first-operator-panel.tsx';
import { HealthView } from './views/health-view.tsx';
import { HistoryView } from './views/history-view.tsx';
import { KeysView } from './views/keys-view.tsx';
import { RoutingView } from './views/routing-view.tsx';
import { LiveView } from './views/live-view.tsx';
import { StatsView } from './views/stats-view.tsx';
import { TenantDetailView } from './views/tenant-detail-view.tsx';
import { TenantsView } from './views/tenants-view.tsx';
import { UsersView } from './views/users-view.tsx';

function subscribeHash(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

let cachedHash = '';
let cachedRoute: Route = parseRoute('');
function currentRoute(): Route {
  if (location.hash !== cachedHash) {
    cachedHash = location.hash;
    cachedRoute = parseRoute(cachedHash);
  }
  return cachedRoute;
}

type NavView = 'live' | 'history' | 'stats' | 'console' | 'health' | 'routing' | 'users' | 'keys' | 'crm' | 'audit' | 'tenants';

/** Each view with the permission it needs (null: everyone). */
const NAV: { view: NavView; href: string; label: string; permission: string | null }[] = [
  { view: 'live', href: '#/', label: 'Live', permission: 'calls:read' },
  { view: 'history', href: '#/history', label: 'History', permission: 'calls:read' },
  { view: 'stats', href: '#/stats', label: 'Statistics', permission: 'calls:read' },
  { view: 'console', href: '#/console', label: 'Console', permission: 'routing:read' },
  { view: 'health', href: '#/health', label: 'Health', permission: null },
  { view: 'routing', href: '#/routing/numbers', label: 'Routing', permission: 'routing:read' },
  { view: 'users', href: '#/users', label: 'Users', permission: 'users:manage' },
  { view: 'keys', href: '#/keys', label: 'API keys', permission: 'keys:manage' },
  { view: 'crm', href: '#/settings/crm', label: 'CRM', permission: 'settings:read' },
  { view: 'audit', href: '#/audit', label: 'Audit log', permission: 'audit:read' },
  { view: 'tenants', href: '#/tenants', label: 'Tenants', permission: 'tenants:manage' },
];

function navViewOf(route: Route): Route['view'] {
  if (route.view === 'call') return 'history';
  if (route.view === 'tenant') return 'tenants';
  return route.view;
}

function Content({ route, session }: { route: Route; session: Session }) {
  const needed = NAV.find((item) => item.view === navViewOf(route))?.permission ?? null;
  if (needed !== null && !can(session, needed)) {
    return <div className="page-state" role="alert">This account may not see this page.</div>;
  }
  // Views keyed by the tenant start afresh (their paging, their forms) when an operator switches tenant.
  const tenantKey = session.tenantId ?? '';
  switch (route.view) {
    case 'live':
      return <LiveView />;
    case 'history':
      return <HistoryView params={route.params} />;
    case 'call':
      return <CallDetailView key={route.id} id={route.id} />;
    case 'stats':
      return <StatsView params={route.params} engineFigures={can(session, 'system:read')} />;
    case 'health':
      return <HealthView />;
    case 'users':
      return <UsersView key={tenantKey} session={session} />;
    case 'keys':
      return <KeysView key={tenantKey} session={session} />;
    case 'audit':
      return <AuditView key={tenantKey} session={session} />;
    case 'crm':
      return <CrmSettingsView key={tenantKey} session={session} />;
    case 'tenants':
      return <TenantsView />;
    case 'tenant':
      return <TenantDetailView key={route.id} id={route.id} />;
    case 'routing':
      return <RoutingView key={tenantKey} page={route.page} session={session} />;
    case 'account':
      return <AccountView session={session} />;
    case 'console':
      return <ConsoleView key={tenantKey} wall={route.wall} showCalls={can(session, 'calls:read')} />;
  }
}

export function App() {
  const auth = useAuthState();
  const { session, error } = useSession();
  if (auth.required) return <LoginPage hadKey={auth.hasKey} />;
  if (!session) {
    return (
      <main className="main">
        {error ? <ErrorNote error={error} onRetry={() => void loadSession()} /> : <Loading what="the dashboard" />}
      </main>
    );
  }
  return <Shell session={session} />;
}

/**
 * The dashboard once the engine knows who we are. The live stream starts here, not before: a ticket asked
 * for without credentials is a refused authentication, which the engine counts against this address.
 */
function Shell({ session }: { session: Session }) {
  const route = useSyncExternalStore(subscribeHash, currentRoute);
  const live = useLiveCalls();
  const activeView = navViewOf(route);
  // The wall board fills a TV: no top bar, only the board (it has its own way back).
  if (route.view === 'console' && route.wall) {
    return (
      <div className="shell wall-shell">
        <main className="main wall-main">
          <Content route={route} session={session} />
        </main>
      </div>
    );
  }
  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href="#/">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d="M3 12h4l2-5 4 10 2-5h6" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          Callflow
        </a>
        <nav className="nav" aria-label="Views">
          {NAV.filter((item) => item.permission === null || can(session, item.permission)).map((item) => (
            <a key={item.view} href={item.href} className="nav-link" aria-current={activeView === item.view ? 'page' : undefined}>
              {item.label}
              {item.view === 'live' && live.counts.total > 0 && <span className="nav-count">{live.counts.total}</span>}
            </a>
          ))}
        </nav>
        <AccountBar session={session} />
      </header>
      <main className="main">
        {session.open && <FirstOperatorPanel />}
        <Content route={route} session={session} />
      </main>
    </div>
  );
}
