// Finished and ongoing calls from the database, filtered, paged by the server's cursor, exportable.
import { useCallback, useMemo, useState, type MouseEvent } from 'react';
import { downloadFile } from '../api/client.ts';
import type { CallPage, CallRecord } from '../api/types.ts';
import { DirectionTag, StatePill } from '../components/call-badges.tsx';
import { ElapsedSince } from '../components/live-duration.tsx';
import { Empty, ErrorNote, Loading } from '../components/page-state.tsx';
import { callHref, routeHref } from '../lib/hash-route.ts';
import { displayNumber, formatDateTime, formatDuration } from '../lib/format.ts';
import { filtersFromParams, filtersToApiParams, filtersToParams, type HistoryFilters } from '../lib/history-filters.ts';
import { getApiKey } from '../state/api-key.ts';
import { useApi } from '../state/use-api.ts';
import { HistoryFiltersForm } from './history-filters-form.tsx';

export const PAGE_SIZE = 50;

function HistoryRow({ call }: { call: CallRecord }) {
  return (
    <a className="row history-row" href={callHref(call.id)} data-call-id={call.id}>
      <span className="cell cell-started mono">{formatDateTime(call.startedAt)}</span>
      <span className="cell cell-state"><StatePill call={call} /></span>
      <span className="cell cell-from">{displayNumber(call.from)}</span>
      <span className="cell cell-arrow" aria-hidden="true">→</span>
      <span className="cell cell-to">{displayNumber(call.to)}</span>
      <span className="cell cell-dir"><DirectionTag direction={call.direction} /></span>
      <span className="cell cell-time mono" title="Duration / talk time">
        {call.status === 'finished' ? formatDuration(call.durationMs) : <ElapsedSince since={call.startedAt} />}
        <span className="muted"> / {call.status === 'answered' && call.answeredAt ? <ElapsedSince since={call.answeredAt} /> : formatDuration(call.talkMs ?? 0)}</span>
      </span>
      <span className="cell cell-meta muted">{call.hangupCauseText ?? ''}</span>
    </a>
  );
}

export function HistoryView({ params }: { params: URLSearchParams }) {
  const filters = useMemo(() => filtersFromParams(params), [params]);
  const filterKey = filtersToParams(filters).toString();
  // "Last hour" is resolved once per filter change (and on Refresh), not per render, so the query is stable.
  const [anchor, setAnchor] = useState(() => ({ key: filterKey, nowMs: Date.now() }));
  const nowMs = anchor.key === filterKey ? anchor.nowMs : Date.now();
  if (anchor.key !== filterKey) setAnchor({ key: filterKey, nowMs });
  const [pages, setPages] = useState<{ key: string; cursors: (string | null)[] }>({ key: filterKey, cursors: [null] });
  const cursors = pages.key === filterKey ? pages.cursors : [null];
  const cursor = cursors[cursors.length - 1] ?? null;

  const apiParams = filtersToApiParams(filters, nowMs);
  const listParams = new URLSearchParams(apiParams);
  listParams.set('limit', String(PAGE_SIZE));
  if (cursor) listParams.set('cursor', cursor);
  const page = useApi<CallPage>(`/api/calls?${listParams.toString()}`, { keepPrevious: true });
  const exportHref = `/api/calls/export.csv?${apiParams.toString()}`;

  const onChange = useCallback((next: HistoryFilters) => {
    location.replace(routeHref({ view: 'history', params: filtersToParams(next) }));
  }, []);

  const onExport = (event: MouseEvent<HTMLAnchorElement>) => {
    // A plain link cannot carry the key header; fetch the file instead when a key is in use.
    if (!getApiKey()) return;
    event.preventDefault();
    void downloadFile(exportHref, 'calls.csv').catch((error: unknown) => alert(`Export failed: ${String(error)}`));
  };

  return (
    <section className="view history-view" aria-labelledby="history-title">
      <header className="view-head">
        <h1 id="history-title">Call history</h1>
        <div className="head-actions">
          <button type="button" className="button" onClick={() => setAnchor({ key: filterKey, nowMs: Date.now() })}>
            Refresh
          </button>
          <a className="button primary" href={exportHref} download="calls.csv" onClick={onExport} data-testid="export-csv">
            Export CSV
          </a>
        </div>
      </header>

      <div className="panel">
        <HistoryFiltersForm filters={filters} onChange={onChange} />
      </div>

      <div className="panel">
        <div className="rows history-rows" data-testid="history-calls" aria-busy={page.loading}>
          <div className="row row-head" aria-hidden="true">
            <span className="cell cell-started">Started</span>
            <span className="cell cell-state">Outcome</span>
            <span className="cell cell-from">Caller</span>
            <span className="cell cell-arrow" />
            <span className="cell cell-to">Callee</span>
            <span className="cell cell-dir">Direction</span>
            <span className="cell cell-time">Duration / talk</span>
            <span className="cell cell-meta">Hangup cause</span>
          </div>
          {page.data?.items.map((call) => <HistoryRow key={call.id} call={call} />)}
        </div>
        {page.error && <ErrorNote error={page.error} onRetry={page.reload} />}
        {!page.data && page.loading && <Loading what="calls" />}
        {page.data && page.data.items.length === 0 && <Empty>No calls match these filters.</Empty>}
        <nav className="pager" aria-label="Pages">
          <button
            type="button"
            className="button"
            disabled={cursors.length <= 1}
            onClick={() => setPages({ key: filterKey, cursors: cursors.slice(0, -1) })}
          >
            ← Newer
          </button>
          <span className="muted">Page {cursors.length}</span>
          <button
            type="button"
            className="button"
            disabled={!page.data?.nextCursor}
            onClick={() => setPages({ key: filterKey, cursors: [...cursors, page.data?.nextCursor ?? null] })}
          >
            Older →
          </button>
        </nav>
      </div>
    </section>
  );
}
