// The raw ARI events of one call, fetched only when asked for: they can run to hundreds of kilobytes.
import { useState } from 'react';
import type { RawEventsPage } from '../api/types.ts';
import { ErrorNote, Loading } from '../components/page-state.tsx';
import { formatTime } from '../lib/format.ts';
import { useApi } from '../state/use-api.ts';

function RawEventList({ callId }: { callId: string }) {
  const events = useApi<RawEventsPage>(`/api/calls/${encodeURIComponent(callId)}/events`);
  if (events.error) return <ErrorNote error={events.error} onRetry={events.reload} />;
  if (!events.data) return <Loading what="raw events" />;
  return (
    <ol className="raw-events" data-testid="raw-events">
      {events.data.items.map((item) => (
        <li key={item.seq}>
          <details>
            <summary>
              <span className="mono muted">#{item.seq}</span>
              <span className="mono">{formatTime(item.receivedAt)}</span>
              <strong>{item.type}</strong>
              <span className="muted mono">{item.channelId ?? ''}</span>
            </summary>
            <pre>{JSON.stringify(item.event, null, 2)}</pre>
          </details>
        </li>
      ))}
    </ol>
  );
}

export function RawEventsPanel({ callId, eventCount }: { callId: string; eventCount: number }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="panel">
      <div className="panel-head">
        <h2>Raw events</h2>
        <button type="button" className="button" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="toggle-raw">
          {open ? 'Hide raw events' : `Show raw events (${eventCount})`}
        </button>
      </div>
      {open && <RawEventList callId={callId} />}
    </div>
  );
}
