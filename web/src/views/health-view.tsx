// The engine's health: each Asterisk connection, the database, the simulator and the CRM backlog.
import type { ReactNode } from 'react';
import type { AriConnectionHealth, HealthReport } from '../api/types.ts';
import { ErrorNote, Loading } from '../components/page-state.tsx';
import { formatCount, formatDateTime, formatSpan } from '../lib/format.ts';
import { useLiveCalls } from '../state/live-store.ts';
import { useNow } from '../state/ticker.ts';
import { useApi } from '../state/use-api.ts';
import { DeadLettersPanel } from './dead-letters-panel.tsx';
import { ConnectionBadge } from './live-view.tsx';

const REFRESH_MS = 5000;
/** Deliveries waiting before the CRM card turns amber. */
const CRM_BACKLOG_WARN = 100;

/** Green for a working connection, amber while it is being (re)established, red otherwise. */
function ariTone(state: string): 'good' | 'warn' | 'bad' {
  const normalized = state.toLowerCase();
  if (normalized === 'connected' || normalized === 'open' || normalized === 'up') return 'good';
  if (normalized.includes('connecting') || normalized === 'resyncing') return 'warn';
  return 'bad';
}

function HealthCard({ title, tone, children }: { title: string; tone: 'good' | 'warn' | 'bad' | 'idle'; children: ReactNode }) {
  return (
    <div className={`panel health-card health-${tone}`}>
      <div className="panel-head">
        <h2>{title}</h2>
        <span className={`health-dot health-${tone}`} aria-hidden="true" />
      </div>
      <dl className="facts compact">{children}</dl>
    </div>
  );
}

function AriCard({ connection, nowMs }: { connection: AriConnectionHealth; nowMs: number }) {
  const tone = ariTone(connection.state);
  return (
    <HealthCard title={`Asterisk · ${connection.name}`} tone={tone}>
      <div className="fact"><dt>State</dt><dd><span className={`status-word health-${tone}`}>{connection.state}</span></dd></div>
      <div className="fact">
        <dt>Connected since</dt>
        <dd>
          {formatDateTime(connection.connectedSince)}
          {connection.connectedSince && <span className="muted"> ({formatSpan(nowMs - Date.parse(connection.connectedSince))})</span>}
        </dd>
      </div>
      <div className="fact"><dt>Reconnects</dt><dd>{formatCount(connection.reconnects)}</dd></div>
      <div className="fact"><dt>Last error</dt><dd>{connection.lastError ?? 'None'}</dd></div>
    </HealthCard>
  );
}

/** The page's title and the engine's overall state, the same for operators and tenants' users. */
function HealthHead({ status }: { status: string }) {
  return (
    <header className="view-head">
      <h1 id="health-title">Health</h1>
      <span className={`overall overall-${status}`} data-testid="overall-health">
        {status === 'ok' ? 'All systems working' : 'Degraded'}
      </span>
    </header>
  );
}

export function HealthView() {
  const health = useApi<HealthReport>('/health', { acceptStatuses: [503], refreshMs: REFRESH_MS });
  const live = useLiveCalls();
  const nowMs = useNow();
  if (health.error && !health.data) {
    return (
      <section className="view health-view">
        <header className="view-head"><h1>Health</h1></header>
        <ErrorNote error={health.error} onRetry={health.reload} />
      </section>
    );
  }
  if (!health.data) return <Loading what="health" />;
  const { status, checks } = health.data;
  // Tenants' users and keys get the summary only: the checks name the engine's servers and errors.
  if (!checks) {
    return (
      <section className="view health-view" aria-labelledby="health-title">
        <HealthHead status={status} />
        <div className="health-grid" data-testid="health-cards">
          <HealthCard title="Live stream" tone={live.connection === 'open' ? 'good' : live.connection === 'unauthorized' || live.connection === 'closed' ? 'bad' : 'warn'}>
            <div className="fact"><dt>This page</dt><dd><ConnectionBadge connection={live.connection} /></dd></div>
            <div className="fact"><dt>Calls in progress</dt><dd>{formatCount(live.counts.total)}</dd></div>
          </HealthCard>
        </div>
        <p className="note">The engine’s own checks (database, Asterisk connections, deliveries) are shown to platform operators.</p>
      </section>
    );
  }
  const { database, ari, simulator, ingest, crm } = checks;
  return (
    <section className="view health-view" aria-labelledby="health-title">
      <HealthHead status={status} />
      <div className="health-grid" data-testid="health-cards">
        <HealthCard title="Database" tone={database.ok ? 'good' : 'bad'}>
          <div className="fact"><dt>State</dt><dd><span className={`status-word health-${database.ok ? 'good' : 'bad'}`}>{database.ok ? 'Reachable' : 'Unreachable'}</span></dd></div>
          <div className="fact"><dt>Kind</dt><dd>{database.kind === 'embedded' ? 'Embedded (PGlite)' : database.kind === 'postgres' ? 'PostgreSQL' : database.kind}</dd></div>
          <div className="fact"><dt>Latency</dt><dd>{formatSpan(database.latencyMs)}</dd></div>
          {database.error && <div className="fact"><dt>Error</dt><dd>{database.error}</dd></div>}
        </HealthCard>
        <HealthCard title="Live stream" tone={live.connection === 'open' ? 'good' : live.connection === 'unauthorized' || live.connection === 'closed' ? 'bad' : 'warn'}>
          <div className="fact"><dt>This page</dt><dd><ConnectionBadge connection={live.connection} /></dd></div>
          <div className="fact"><dt>Calls in progress</dt><dd>{formatCount(live.counts.total)}</dd></div>
        </HealthCard>
        {simulator && (
          <HealthCard title="Simulator" tone={simulator.running ? 'good' : 'idle'}>
            <div className="fact"><dt>State</dt><dd>{simulator.running ? 'Generating calls' : 'Stopped'}</dd></div>
          </HealthCard>
        )}
        {ingest && (
          <HealthCard title="Ingest" tone={ingest.lastError ? 'bad' : ingest.paused ? 'warn' : 'good'}>
            <div className="fact"><dt>Waiting to be written</dt><dd>{formatCount(ingest.pending)}</dd></div>
            <div className="fact"><dt>Reading</dt><dd>{ingest.paused ? 'Paused (database behind)' : 'Flowing'}</dd></div>
            {ingest.lastError && <div className="fact"><dt>Last error</dt><dd>{ingest.lastError}</dd></div>}
          </HealthCard>
        )}
        {crm && (
          <HealthCard title="CRM delivery" tone={crm.dead > 0 ? 'bad' : crm.pending > CRM_BACKLOG_WARN ? 'warn' : 'good'}>
            <div className="fact"><dt>Waiting</dt><dd>{formatCount(crm.pending)}</dd></div>
            <div className="fact"><dt>Gave up</dt><dd>{formatCount(crm.dead)}</dd></div>
            <div className="fact"><dt>Oldest waiting</dt><dd>{crm.oldestPendingAgeMs === null ? 'None' : formatSpan(crm.oldestPendingAgeMs)}</dd></div>
            {(crm.sinks ?? []).map((sink) => (
              <div className="fact" key={sink.name}>
                <dt>{sink.name}</dt>
                <dd>
                  {sink.breakerOpen ? <span className="status-word health-bad">Paused after failures</span> : 'Delivering'}
                  <span className="muted"> · {formatCount(sink.pending)} waiting, {formatCount(sink.dead)} gave up</span>
                  {sink.lastDeadError && <div className="muted small dead-reason">Last refused: {sink.lastDeadError}</div>}
                </dd>
              </div>
            ))}
          </HealthCard>
        )}
        {ari.map((connection) => (
          <AriCard key={connection.name} connection={connection} nowMs={nowMs} />
        ))}
      </div>
      {crm && <DeadLettersPanel dead={crm.dead} refreshMs={REFRESH_MS} onRetried={health.reload} />}
      {ari.length === 0 && <p className="note">No Asterisk server is configured{simulator?.running ? '; the simulator is producing calls instead' : ''}.</p>}
    </section>
  );
}
