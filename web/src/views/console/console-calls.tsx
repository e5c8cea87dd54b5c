// The console's live calls: who calls (number and name), whom, how it stands and for how long, where the
// engine's routing has taken it (the latest steps; the whole path on hover or opened) and who answered.
import { memo } from 'react';
import type { CallRecord } from '../../api/types.ts';
import { StatePill } from '../../components/call-badges.tsx';
import { FrozenDuration, LiveDuration } from '../../components/live-duration.tsx';
import { Empty } from '../../components/page-state.tsx';
import { displayNumber } from '../../lib/format.ts';
import { callHref } from '../../lib/hash-route.ts';
import { routeFull, routeSummary } from '../../lib/presence.ts';
import { useLiveCalls } from '../../state/live-store.ts';
import { ConnectionBadge } from '../live-view.tsx';

/** Calls a console shows; a busy tenant's others are on the live page. */
const CONSOLE_CALLS_LIMIT = 60;

export function RoutePath({ call }: { call: CallRecord }) {
  if (call.route === null || call.route.path.length === 0) return <span className="muted">not routed</span>;
  const { path } = call.route;
  if (path.length <= 2) return <span title={routeFull(call.route)}>{routeSummary(call.route)}</span>;
  return (
    <details className="route-path">
      <summary title={routeFull(call.route)}>{routeSummary(call.route)}</summary>
      <ol className="route-steps">
        {path.map((step, index) => (
          <li key={index}>{step}</li>
        ))}
      </ol>
    </details>
  );
}

const ConsoleCall = memo(function ConsoleCall({ call, frozenAtMs }: { call: CallRecord; frozenAtMs: number | null }) {
  const callerName = call.legs[0]?.callerName ?? '';
  return (
    <li className={`console-call tone-${call.status}`} data-call-id={call.id}>
      <span className="cc-state"><StatePill call={call} /></span>
      <span className="cc-caller">
        <a className="link" href={callHref(call.id)}>{displayNumber(call.from)}</a>
        {callerName && <span className="muted small cc-name">{callerName}</span>}
      </span>
      <span className="cc-callee" title="Callee">→ {displayNumber(call.to)}</span>
      <span className="cc-time">{frozenAtMs === null ? <LiveDuration call={call} /> : <FrozenDuration call={call} atMs={frozenAtMs} />}</span>
      <span className="cc-route" data-testid="call-route"><RoutePath call={call} /></span>
      <span className="cc-answered" data-testid="answered-by">
        {call.route?.answeredBy ? `answered by ${call.route.answeredBy}` : ''}
        {call.route?.recorded && <span className="rec-tag" title="Recorded by policy"> ● rec</span>}
      </span>
    </li>
  );
});

export function ConsoleCalls() {
  const live = useLiveCalls();
  const shown = live.calls.slice(0, CONSOLE_CALLS_LIMIT);
  return (
    <div className="panel console-calls-panel">
      <div className="panel-head">
        <h2>Live calls</h2>
        <ConnectionBadge connection={live.connection} />
      </div>
      <ul className="console-calls" data-testid="console-calls">
        {shown.map((call) => (
          <ConsoleCall key={call.id} call={call} frozenAtMs={live.offlineSinceMs} />
        ))}
      </ul>
      {shown.length === 0 && <Empty>{live.synced ? 'No calls in progress right now.' : 'Waiting for the live stream…'}</Empty>}
      {live.calls.length > shown.length && (
        <p className="note">
          The newest {shown.length} of {live.calls.length} calls; <a className="link" href="#/">the live page</a> lists them all.
        </p>
      )}
    </div>
  );
}
