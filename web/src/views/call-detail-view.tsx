// One call: its facts, the path the engine's routing took it (when it did), its legs drawn over time, what
// happened in order, and the raw events behind it.
import { useEffect, type ReactNode } from 'react';
import type { CallDetailResponse, ClosedBy, Leg } from '../api/types.ts';
import { DirectionTag, StatePill } from '../components/call-badges.tsx';
import { LegTimeline } from '../components/leg-timeline.tsx';
import { ErrorNote, Loading } from '../components/page-state.tsx';
import { displayNumber, formatDateTime, formatDuration, formatTime } from '../lib/format.ts';
import { legLabel, preciseOffsetLabel } from '../lib/leg-lanes.ts';
import { useLiveCalls } from '../state/live-store.ts';
import { useNow } from '../state/ticker.ts';
import { useApi } from '../state/use-api.ts';
import { ApiError } from '../api/client.ts';
import { CallRecordingsPanel } from './call-recordings-panel.tsx';
import { RawEventsPanel } from './raw-events-panel.tsx';

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function causeWords(text: string | null, code: number | null): string {
  if (text && code !== null) return `${text} (Q.850 ${code})`;
  return text ?? (code !== null ? `Q.850 cause ${code}` : '–');
}

const CLOSED_BY_WORDS: Record<ClosedBy, string> = {
  hangup: 'Hangup',
  resync: 'Resync (channels gone)',
  stale: 'Stale-call sweep (no news of the call)',
};

function LegsTable({ legs }: { legs: Leg[] }) {
  return (
    <div className="table-scroll">
      <table className="legs-table">
        <thead>
          <tr>
            <th>Endpoint</th>
            <th>Caller</th>
            <th>Dialled</th>
            <th>State</th>
            <th>Created</th>
            <th>Answered</th>
            <th>Ended</th>
            <th>Hangup cause</th>
          </tr>
        </thead>
        <tbody>
          {legs.map((leg) => (
            <tr key={leg.channelId}>
              <td title={leg.name}><strong>{legLabel(leg)}</strong><div className="muted mono small">{leg.channelId}</div></td>
              <td>{displayNumber(leg.callerNumber)}{leg.callerName && <div className="muted small">{leg.callerName}</div>}</td>
              <td>{leg.exten || '–'}{leg.context && <div className="muted small">{leg.context}</div>}</td>
              <td>{leg.state}</td>
              <td className="mono">{formatTime(leg.createdAt)}</td>
              <td className="mono">{formatTime(leg.answeredAt)}</td>
              <td className="mono">{formatTime(leg.endedAt)}</td>
              <td>
                {causeWords(leg.causeText, leg.cause)}
                {leg.techCause !== null && <div className="muted small">SIP {leg.techCause}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CallDetailBody({ detail }: { detail: CallDetailResponse }) {
  const ticking = useNow();
  const nowMs = detail.status === 'finished' ? Date.parse(detail.updatedAt) : ticking;
  const startMs = Date.parse(detail.startedAt);
  const endpointOf = new Map(detail.legs.map((leg) => [leg.channelId, legLabel(leg)]));
  return (
    <>
      <header className="view-head call-head">
        <div>
          <a className="link back" href="#/history">← History</a>
          <h1 id="call-title">
            {displayNumber(detail.from)} <span className="muted">→</span> {displayNumber(detail.to)}
          </h1>
        </div>
        <div className="head-actions">
          <DirectionTag direction={detail.direction} />
          <StatePill call={detail} />
        </div>
      </header>

      <div className="panel">
        <dl className="facts">
          <Fact label="Started">{formatDateTime(detail.startedAt)}</Fact>
          <Fact label="Answered">{formatTime(detail.answeredAt)}</Fact>
          {detail.endEstimated ? (
            <Fact label="Ended (estimated)">
              <span title="No hangup was reported: the engine closed the call, ending it at its last event" data-testid="end-estimated">
                {formatTime(detail.endedAt)}
              </span>
            </Fact>
          ) : (
            <Fact label="Ended">{formatTime(detail.endedAt)}</Fact>
          )}
          <Fact label="Duration">
            {formatDuration(detail.durationMs ?? (detail.status === 'finished' ? null : nowMs - startMs))}
          </Fact>
          <Fact label="Talk time">{formatDuration(detail.talkMs ?? 0)}</Fact>
          <Fact label="Hangup cause">{causeWords(detail.hangupCauseText, detail.hangupCause)}</Fact>
          <Fact label="Server">{detail.server}</Fact>
          <Fact label="Closed by">{detail.closedBy ? CLOSED_BY_WORDS[detail.closedBy] : '–'}</Fact>
          {detail.backfilled ? (
            <Fact label="Recorded from">
              <span title="The engine could not see this call's events then (an ingest gap): they were rebuilt from Asterisk's CEL" data-testid="backfilled">
                Asterisk's CEL
              </span>
            </Fact>
          ) : null}
          <Fact label="Call id"><span className="mono small">{detail.id}</span></Fact>
        </dl>
      </div>

      {detail.route && (
        <div className="panel" data-testid="call-route">
          <div className="panel-head">
            <h2>Route</h2>
            <span className="muted" data-testid="answered-by">
              {detail.route.answeredBy ? `answered by ${detail.route.answeredBy}` : 'not answered by an extension'}
            </span>
            {detail.route.recorded && (
              <span className="rec-tag" data-testid="route-recorded" title="A recording policy of the number or extension records this conversation">
                ● recorded
              </span>
            )}
          </div>
          <ol className="route-list">
            {detail.route.path.map((step, index) => (
              <li key={index}>{step}</li>
            ))}
          </ol>
        </div>
      )}

      <div className="panel">
        <div className="panel-head"><h2>Legs over time</h2></div>
        <LegTimeline detail={detail} nowMs={nowMs} />
      </div>

      <div className="panel">
        <div className="panel-head"><h2>Legs</h2></div>
        <LegsTable legs={detail.legs} />
      </div>

      <div className="panel">
        <div className="panel-head"><h2>What happened</h2></div>
        <ol className="timeline-list" data-testid="timeline-list">
          {detail.timeline.map((entry, index) => (
            <li key={index} className={`tl-${entry.kind}`}>
              <span className="mono muted">{preciseOffsetLabel(Date.parse(entry.at) - startMs)}</span>
              <span className="tl-kind">{entry.kind.replace('_', ' ')}</span>
              <span className="tl-text">{entry.text}</span>
              <span className="muted small">{entry.channelId ? endpointOf.get(entry.channelId) ?? entry.channelId : ''}</span>
            </li>
          ))}
        </ol>
      </div>

      {detail.crm && detail.crm.length > 0 && (
        <div className="panel">
          <div className="panel-head"><h2>CRM</h2></div>
          <dl className="facts">
            {detail.crm.map((link) => (
              <Fact key={link.sink} label={link.sink}>
                {link.externalCallId ?? 'Not created yet'}
                <div className="muted small">updated {formatDateTime(link.updatedAt)}</div>
              </Fact>
            ))}
          </dl>
        </div>
      )}

      {detail.route && <CallRecordingsPanel callId={detail.id} version={detail.updatedAt} />}

      <RawEventsPanel callId={detail.id} eventCount={detail.eventCount} />
    </>
  );
}

export function CallDetailView({ id }: { id: string }) {
  const detail = useApi<CallDetailResponse>(`/api/calls/${encodeURIComponent(id)}`);
  // While the call is live, every change the stream reports is a cue to fetch the detail again.
  const live = useLiveCalls();
  const liveVersion =
    live.calls.find((call) => call.id === id)?.updatedAt ?? live.finished.find((call) => call.id === id)?.updatedAt;
  const { reload } = detail;
  useEffect(() => {
    if (liveVersion) reload();
  }, [liveVersion, reload]);

  return (
    <section className="view call-view" aria-labelledby="call-title">
      {detail.error instanceof ApiError && detail.error.status === 404 ? (
        <div className="page-state error" role="alert">
          <strong>No call with this id.</strong> It may have been merged into another call.{' '}
          <a className="link" href="#/history">Back to history</a>
        </div>
      ) : detail.error ? (
        <ErrorNote error={detail.error} onRetry={detail.reload} />
      ) : detail.data ? (
        <CallDetailBody detail={detail.data} />
      ) : (
        <Loading what="the call" />
      )}
    </section>
  );
}
