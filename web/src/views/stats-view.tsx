// Call statistics over a chosen window, and the engine's own counters.
import type { CallStats, Direction, EngineStats } from '../api/types.ts';
import { DIRECTIONS, DISPOSITIONS } from '../../../src/domain/call.ts';
import { BarList, HourlyBars, RateRing } from '../components/charts.tsx';
import { Empty, ErrorNote, Loading } from '../components/page-state.tsx';
import { fillHours } from '../lib/chart-scale.ts';
import { routeHref } from '../lib/hash-route.ts';
import { directionLabel, dispositionLabel, formatCount, formatSpan } from '../lib/format.ts';
import { useNow } from '../state/ticker.ts';
import { useApi } from '../state/use-api.ts';

const WINDOWS = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
type StatsWindow = keyof typeof WINDOWS;
const WINDOW_LABELS: Record<StatsWindow, string> = { '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days' };
const ENGINE_REFRESH_MS = 5000;
const MINUTE_MS = 60_000;

function Kpi({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="kpi">
      <span className="kpi-value">{value}</span>
      <span className="kpi-label">{label}</span>
      {hint && <span className="kpi-hint muted">{hint}</span>}
    </div>
  );
}

function CallStatsPanels({ stats, sinceMs, untilMs }: { stats: CallStats; sinceMs: number; untilMs: number }) {
  if (stats.total === 0) return <Empty>No calls in this window yet.</Empty>;
  const dispositions = DISPOSITIONS.map((key) => ({ key, label: dispositionLabel(key), value: stats.byDisposition[key] ?? 0, tone: key }))
    .filter((item) => item.value > 0);
  const directions = DIRECTIONS.map((key) => ({ key, label: directionLabel(key), value: stats.byDirection[key] ?? 0 }))
    .filter((item) => item.value > 0);
  const busiest = stats.busiestNumbers.map((item) => ({ key: item.number, label: item.number || 'Unknown', value: item.calls }));
  const inProgress = stats.total - stats.finished;
  // One answer rate: the ring, the "Answered" tile and the outcomes below all count finished calls, the
  // only ones with an outcome (calls still ringing or talking are counted apart).
  return (
    <>
      <div className="kpis">
        <div className="kpi kpi-ring" data-testid="answer-rate">
          <RateRing ratio={stats.answerRate} label="Answer rate" />
          <span className="kpi-text">
            <span className="kpi-label">Answer rate</span>
            <span className="kpi-hint muted">of finished calls</span>
          </span>
        </div>
        <Kpi label="Calls" value={formatCount(stats.total)} hint={inProgress > 0 ? `${formatCount(inProgress)} in progress` : undefined} />
        <Kpi label="Answered" value={formatCount(stats.byDisposition.answered ?? 0)} hint={`of ${formatCount(stats.finished)} finished`} />
        <Kpi label="Average talk" value={formatSpan(stats.avgTalkMs)} />
        <Kpi label="90% talk under" value={formatSpan(stats.p90TalkMs)} hint="p90" />
      </div>
      <div className="panel">
        <div className="panel-head">
          <h2>Calls per hour</h2>
          <ul className="legend">
            <li><span className="legend-swatch swatch-answered" aria-hidden="true" /> Answered</li>
            <li><span className="legend-swatch swatch-unanswered" aria-hidden="true" /> Not answered</li>
          </ul>
        </div>
        <HourlyBars perHour={fillHours(stats.perHour, sinceMs, untilMs)} />
      </div>
      <div className="grid-3">
        <div className="panel">
          <div className="panel-head"><h2>Outcomes</h2></div>
          <BarList items={dispositions} total={stats.finished} />
        </div>
        <div className="panel">
          <div className="panel-head"><h2>Directions</h2></div>
          <BarList items={directions} total={stats.total} />
        </div>
        <div className="panel">
          <div className="panel-head"><h2>Busiest numbers</h2></div>
          {busiest.length > 0 ? <BarList items={busiest} total={stats.total} /> : <Empty>None yet.</Empty>}
        </div>
      </div>
    </>
  );
}

function EnginePanel() {
  const engine = useApi<EngineStats>('/api/stats', { refreshMs: ENGINE_REFRESH_MS });
  if (engine.error && !engine.data) return <ErrorNote error={engine.error} onRetry={engine.reload} />;
  if (!engine.data) return <Loading what="engine counters" />;
  const types = Object.entries(engine.data.eventsByType)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([type, count]) => ({ key: type, label: type, value: count }));
  return (
    <div className="panel" data-testid="engine-stats">
      <div className="panel-head"><h2>Engine</h2></div>
      <div className="kpis compact">
        <Kpi label="Calls stored" value={formatCount(engine.data.calls)} />
        <Kpi label="Events stored" value={formatCount(engine.data.events)} />
        <Kpi label="Active calls" value={formatCount(engine.data.activeCalls)} />
        <Kpi label="Events / s" value={engine.data.eventsPerSecond.toFixed(1)} />
      </div>
      {types.length > 0 && (
        <>
          <h3>Most frequent event types</h3>
          <BarList items={types} />
        </>
      )}
    </div>
  );
}

/** `engineFigures`: the engine-wide counters (/api/stats), for operators only (system:read). */
export function StatsView({ params, engineFigures = true }: { params: URLSearchParams; engineFigures?: boolean }) {
  const span = (Object.hasOwn(WINDOWS, params.get('window') ?? '') ? params.get('window') : '24h') as StatsWindow;
  const direction = DIRECTIONS.find((value) => value === params.get('direction')) ?? null;
  // The window's start moves once a minute, which is also how often the figures refresh.
  const minuteMs = Math.floor(useNow() / MINUTE_MS) * MINUTE_MS;
  const untilMs = minuteMs + MINUTE_MS;
  const sinceMs = untilMs - WINDOWS[span];
  const query = new URLSearchParams({ since: new Date(sinceMs).toISOString() });
  if (direction) query.set('direction', direction);
  const stats = useApi<CallStats>(`/api/stats/calls?${query.toString()}`, { keepPrevious: true });

  const go = (nextWindow: StatsWindow, nextDirection: Direction | null) => {
    const next = new URLSearchParams({ window: nextWindow });
    if (nextDirection) next.set('direction', nextDirection);
    location.replace(routeHref({ view: 'stats', params: next }));
  };

  return (
    <section className="view stats-view" aria-labelledby="stats-title">
      <header className="view-head">
        <h1 id="stats-title">Statistics</h1>
        <div className="head-actions">
          <select aria-label="Window" value={span} onChange={(event) => go(event.target.value as StatsWindow, direction)}>
            {(Object.keys(WINDOWS) as StatsWindow[]).map((key) => (
              <option key={key} value={key}>{WINDOW_LABELS[key]}</option>
            ))}
          </select>
          <select aria-label="Direction" value={direction ?? ''} onChange={(event) => go(span, (event.target.value || null) as Direction | null)}>
            <option value="">All directions</option>
            {DIRECTIONS.map((value) => (
              <option key={value} value={value}>{directionLabel(value)}</option>
            ))}
          </select>
        </div>
      </header>
      <div className="stack" data-testid="call-stats">
        {stats.error && !stats.data ? (
          <ErrorNote error={stats.error} onRetry={stats.reload} />
        ) : stats.data ? (
          <CallStatsPanels stats={stats.data} sinceMs={sinceMs} untilMs={untilMs} />
        ) : (
          <Loading what="statistics" />
        )}
      </div>
      {engineFigures && <EnginePanel />}
    </section>
  );
}
