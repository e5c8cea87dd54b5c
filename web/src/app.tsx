// The shell: navigation, hash routing and the key prompt.
import { useSyncExternalStore } from 'react';
import { LoginPrompt } from './components/login-prompt.tsx';
import { parseRoute, type Route } from './lib/hash-route.ts';
import { forgetApiKey } from './state/api-key.ts';
import { useLiveCalls } from './state/live-store.ts';
import { useAuthState } from './state/use-api.ts';
import { CallDetailView } from './views/call-detail-view.tsx';
import { HealthView } from './views/health-view.tsx';
import { HistoryView } from './views/history-view.tsx';
import { LiveView } from './views/live-view.tsx';
import { StatsView } from './views/stats-view.tsx';

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

const NAV: { view: Route['view']; href: string; label: string }[] = [
  { view: 'live', href: '#/', label: 'Live' },
  { view: 'history', href: '#/history', label: 'History' },
  { view: 'stats', href: '#/stats', label: 'Statistics' },
  { view: 'health', href: '#/health', label: 'Health' },
];

function Content({ route }: { route: Route }) {
  switch (route.view) {
    case 'live':
      return <LiveView />;
    case 'history':
      return <HistoryView params={route.params} />;
    case 'call':
      return <CallDetailView key={route.id} id={route.id} />;
    case 'stats':
      return <StatsView params={route.params} />;
    case 'health':
      return <HealthView />;
  }
}

export function App() {
  const route = useSyncExternalStore(subscribeHash, currentRoute);
  const auth = useAuthState();
  const live = useLiveCalls();
  const activeView = route.view === 'call' ? 'history' : route.view;
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
          {NAV.map((item) => (
            <a key={item.view} href={item.href} className="nav-link" aria-current={activeView === item.view ? 'page' : undefined}>
              {item.label}
              {item.view === 'live' && live.counts.total > 0 && <span className="nav-count">{live.counts.total}</span>}
            </a>
          ))}
        </nav>
        {auth.hasKey && (
          <button type="button" className="button ghost small signout" onClick={forgetApiKey} title="Forget the saved API key">
            Forget key
          </button>
        )}
      </header>
      <main className="main">
        <Content route={route} />
      </main>
      {auth.required && <LoginPrompt hadKey={auth.hasKey} />}
    </div>
  );
}
