// The raw ARI events of one call, fetched only when asked for and a page at a time: a long call's events can
// run to megabytes.
import { memo, useState } from 'react';
import { getJson } from '../api/client.ts';
import type { RawEvent, RawEventsPage } from '../api/types.ts';
import { ErrorNote, Loading } from '../components/page-state.tsx';
import { formatTime } from '../lib/format.ts';
import { useApi } from '../state/use-api.ts';

/** Events per page: a few hundred kilobytes at most, and all of a typical call. */
export const RAW_EVENTS_PAGE_SIZE = 500;

interface MorePages {
  items: RawEvent[];
  /** Where the pages loaded so far end: null at the end of the call's events, undefined before any. */
  nextCursor: number | null | undefined;
  loading: boolean;
  error: Error | null;
}

/** One event; its JSON is formatted only once it is opened (a page holds hundreds). */
function RawEventItem({ item }: { item: RawEvent }) {
  const [open, setOpen] = useState(false);
  return (
    <li>
      <details onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>
          <span className="mono muted">#{item.seq}</span>
          <span className="mono">{formatTime(item.receivedAt)}</span>
          <strong>{item.type}</strong>
          <span className="muted mono">{item.channelId ?? ''}</span>
        </summary>
        {open && <pre>{JSON.stringify(item.event, null, 2)}</pre>}
      </details>
    </li>
  );
}

function RawEventList({ callId }: { callId: string }) {
  const path = `/api/calls/${encodeURIComponent(callId)}/events`;
  const first = useApi<RawEventsPage>(`${path}?limit=${RAW_EVENTS_PAGE_SIZE}`);
  const [more, setMore] = useState<MorePages>({ items: [], nextCursor: undefined, loading: false, error: null });
  if (first.error) return <ErrorNote error={first.error} onRetry={first.reload} />;
  if (!first.data) return <Loading what="raw events" />;
  const items = more.items.length > 0 ? first.data.items.concat(more.items) : first.data.items;
  const nextCursor = more.nextCursor === undefined ? first.data.nextCursor : more.nextCursor;

  const loadMore = (): void => {
    if (nextCursor === null || more.loading) return;
    setMore((m) => ({ ...m, loading: true, error: null }));
    getJson<RawEventsPage>(`${path}?limit=${RAW_EVENTS_PAGE_SIZE}&after=${nextCursor}`).then(
      (page) => setMore((m) => ({ items: m.items.concat(page.items), nextCursor: page.nextCursor, loading: false, error: null })),
      (error: unknown) => setMore((m) => ({ ...m, loading: false, error: error instanceof Error ? error : new Error(String(error)) })),
    );
  };

  return (
    <>
      <ol className="raw-events" data-testid="raw-events">
        {items.map((item) => (
          <RawEventItem key={item.seq} item={item} />
        ))}
      </ol>
      {more.error && <ErrorNote error={more.error} onRetry={loadMore} />}
      {nextCursor !== null && !more.error && (
        <button type="button" className="button" onClick={loadMore} disabled={more.loading} data-testid="raw-events-more">
          {more.loading ? 'Loading…' : `Load more (${items.length} shown)`}
        </button>
      )}
    </>
  );
}

// Memoized: the call view around it re-renders on every tick of its clock, and a list of hundreds of events
// need not follow.
export const RawEventsPanel = memo(function RawEventsPanel({ callId, eventCount }: { callId: string; eventCount: number }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="panel">
      <div className="panel-head">
        <h2>Raw events</h2>
        <button type="button" className="button" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="toggle-raw">
          {open ? 'Hide raw events' : `Show raw events (${eventCount})`}
        </button>
      </div>
      {/* Keyed by call: another call's list starts from its own first page. */}
      {open && <RawEventList key={callId} callId={callId} />}
    </div>
  );
});
