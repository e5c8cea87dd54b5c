// Calls in progress, straight from the live stream. Rows are keyed by call id and memoized on the record
// object (the stream replaces a record when it changes), so a tick or an update repaints only what moved.
import { memo, useDeferredValue, useState } from 'react';
import type { CallRecord } from '../api/types.ts';
import { DirectionTag, DispositionPill, StatePill } from '../components/call-badges.tsx';
import { FrozenDuration, LiveDuration } from '../components/live-duration.tsx';
import { Empty } from '../components/page-state.tsx';
import { callHref } from '../lib/hash-route.ts';
import { displayNumber, formatCount, formatDuration, formatTime } from '../lib/format.ts';
import { matchesSearch } from '../lib/live-book.ts';
import { routeFull, routeSummary } from '../lib/presence.ts';
import { useLiveCalls, type LiveConnection } from '../state/live-store.ts';

/** Rows drawn at once; past this the search box narrows the list (nobody reads a thousand rows). */
export const RENDER_LIMIT = 200;
/** Past this many rows the list drops its animations (new-row flash, ringing pulse). */
const CALM_ABOVE_ROWS = 40;

const CONNECTION_TEXT: Record<LiveConnection, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
  unauthorized: 'API key needed',
};

export function ConnectionBadge({ connection }: { connection: LiveConnection }) {
  return (
    <span className={`connection conn-${connection}`} role="status" data-connection={connection}>
      <span className="conn-dot" aria-hidden="true" />
      {CONNECTION_TEXT[connection]}
    </span>
  );
}

/** `frozenAtMs`: the stream is away since then; the row's clock stops there and the row is marked stale. */
const LiveRow = memo(function LiveRow({ call, frozenAtMs }: { call: CallRecord; frozenAtMs: number | null }) {
  return (
    <a
      className={`row live-row tone-${call.status}${frozenAtMs === null ? '' : ' stale'}`}
      href={callHref(call.id)}
      data-call-id={call.id}
      data-stale={frozenAtMs === null ? undefined : 'true'}
    >
      <span className="cell cell-state"><StatePill call={call} /></span>
      <span className="cell cell-from" title="Caller">{displayNumber(call.from)}</span>
      <span className="cell cell-arrow" aria-hidden="true">→</span>
      <span className="cell cell-to" title="Callee">{displayNumber(call.to)}</span>
      <span className="cell cell-dir"><DirectionTag direction={call.direction} /></span>
      <span className="cell cell-time">
        {frozenAtMs === null ? <LiveDuration call={call} /> : <FrozenDuration call={call} atMs={frozenAtMs} />}
      </span>
      <span className="cell cell-meta muted" title={call.route ? routeFull(call.route) : undefined}>
        {call.route && call.route.path.length > 0 && (
          <span className="live-route" data-testid="live-route">{routeSummary(call.route, 1)} · </span>
        )}
        {call.server} · {call.legs.length} {call.legs.length === 1 ? 'leg' : 'legs'}
      </span>
    </a>
  );
});

const FinishedRow = memo(function FinishedRow({ call }: { call: CallRecord }) {
  return (
    <a className="row finished-row" href={callHref(call.id)} data-call-id={call.id}>
      <span className="cell cell-state"><DispositionPill disposition={call.disposition} /></span>
      <span className="cell cell-from">{displayNumber(call.from)}</span>
      <span className="cell cell-arrow" aria-hidden="true">→</span>
      <span className="cell cell-to">{displayNumber(call.to)}</span>
      <span className="cell cell-dir"><DirectionTag direction={call.direction} /></span>
      <span className="cell cell-time mono" title="Talk time">{formatDuration(call.talkMs ?? 0)}</span>
      <span className="cell cell-meta muted">
        ended {formatTime(call.endedAt)}{call.hangupCauseText ? ` · ${call.hangupCauseText}` : ''}
      </span>
    </a>
  );
});

function Kpi({ label, value, tone }: { label: string; value: number; tone?: string }) {
  return (
    <div className={`kpi ${tone ? `tone-${tone}` : ''}`}>
      <span className="kpi-value">{formatCount(value)}</span>
      <span className="kpi-label">{label}</span>
    </div>
  );
}

/** Said loudly while the stream is away: everything below may be out of date. */
function OfflineBanner({ sinceMs, connection }: { sinceMs: number; connection: LiveConnection }) {
  return (
    <div className="offline-banner" role="alert" data-testid="live-offline">
      <strong>Live updates are paused.</strong> The connection to the engine was lost at{' '}
      {formatTime(new Date(sinceMs).toISOString())}
      {connection === 'unauthorized' ? '; an API key is needed to reconnect.' : '; reconnecting…'} The calls below are as they
      were then and their times are stopped; calls that end meanwhile are listed once the stream is back.
    </div>
  );
}

export function LiveView() {
  const live = useLiveCalls();
  const [search, setSearch] = useState('');
  const query = useDeferredValue(search);
  const matching = query.trim() === '' ? live.calls : live.calls.filter((call) => matchesSearch(call, query));
  const shown = matching.slice(0, RENDER_LIMIT);

  return (
    <section className="view live-view" aria-labelledby="live-title">
      <header className="view-head">
        <h1 id="live-title">Live calls</h1>
        <ConnectionBadge connection={live.connection} />
      </header>
      {live.offlineSinceMs !== null && <OfflineBanner sinceMs={live.offlineSinceMs} connection={live.connection} />}

      <div className="kpis">
        <Kpi label="In progress" value={live.counts.total} />
        <Kpi label="Ringing" value={live.counts.ringing} tone="ringing" />
        <Kpi label="Talking" value={live.counts.talking} tone="answered" />
        <Kpi label="Inbound" value={live.counts.inbound} />
        <Kpi label="Outbound" value={live.counts.outbound} />
        <Kpi label="Internal" value={live.counts.internal} />
      </div>

      <div className="panel">
        <div className="panel-head">
          <h2>In progress</h2>
          <input
            className="search"
            type="search"
            placeholder="Find a number, name or endpoint"
            aria-label="Find a live call"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
        </div>
        <div className={`rows live-rows${shown.length <= CALM_ABOVE_ROWS ? ' few' : ''}`} data-testid="live-calls">
          <div className="row row-head" aria-hidden="true">
            <span className="cell cell-state">State</span>
            <span className="cell cell-from">Caller</span>
            <span className="cell cell-arrow" />
            <span className="cell cell-to">Callee</span>
            <span className="cell cell-dir">Direction</span>
            <span className="cell cell-time">Time</span>
            <span className="cell cell-meta">Route · server</span>
          </div>
          {shown.map((call) => (
            <LiveRow key={call.id} call={call} frozenAtMs={live.offlineSinceMs} />
          ))}
        </div>
        {shown.length === 0 && (
          <Empty>
            {!live.synced ? 'Waiting for the live stream…' : query ? 'No live call matches.' : 'No calls in progress right now.'}
          </Empty>
        )}
        {live.truncatedFrom !== null && (
          <p className="note" data-testid="live-truncated">
            The engine holds {formatCount(live.truncatedFrom)} calls in progress; the live stream started with the newest of
            them, so some older ones are missing here (the history lists every call).
          </p>
        )}
        {matching.length > shown.length && (
          <p className="note">
            Showing the newest {formatCount(shown.length)} of {formatCount(matching.length)} calls. Type in the search
            box to find a particular one.
          </p>
        )}
      </div>

      <div className="panel">
        <div className="panel-head">
          <h2>Recently finished</h2>
          <a className="link" href="#/history">Full history →</a>
        </div>
        <div className="rows finished-rows" data-testid="finished-calls">
          {live.finished.map((call) => (
            <FinishedRow key={call.id} call={call} />
          ))}
        </div>
        {live.finished.length === 0 && <Empty>Calls that end while this page is open appear here.</Empty>}
      </div>
    </section>
  );
}
