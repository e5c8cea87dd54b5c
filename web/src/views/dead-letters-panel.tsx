// Deliveries a CRM or subscriber refused for good, with the reason each was given up, and one action that
// sends them all again once the cause is fixed (POST /api/deliveries/retry-dead).
import { useState } from 'react';
import { postJson } from '../api/client.ts';
import type { DeliveryView } from '../api/types.ts';
import { ErrorNote } from '../components/page-state.tsx';
import { formatCount, formatDateTime } from '../lib/format.ts';
import { callHref } from '../lib/hash-route.ts';
import { useApi } from '../state/use-api.ts';

const LISTED = 50;

export function DeadLettersPanel({ dead, refreshMs, onRetried }: { dead: number; refreshMs: number; onRetried: () => void }) {
  const list = useApi<{ items: DeliveryView[] }>(dead > 0 ? `/api/deliveries?status=dead&limit=${LISTED}` : null, { refreshMs });
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<{ retried: number } | Error | null>(null);
  if (dead === 0 && !(outcome && !(outcome instanceof Error))) return null;

  const retryAll = async () => {
    setSending(true);
    try {
      setOutcome(await postJson<{ retried: number }>('/api/deliveries/retry-dead'));
      onRetried();
      list.reload();
    } catch (error) {
      setOutcome(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setSending(false);
    }
  };

  const items = list.data?.items ?? [];
  return (
    <div className="panel dead-letters" data-testid="dead-letters">
      <div className="panel-head">
        <h2>Dead letters</h2>
        <button type="button" className="button primary small" onClick={() => void retryAll()} disabled={sending || dead === 0} data-testid="retry-dead">
          {sending ? 'Sending…' : 'Send all again'}
        </button>
      </div>
      <p className="note">
        {dead > 0
          ? `${formatCount(dead)} ${dead === 1 ? 'delivery was' : 'deliveries were'} given up: these call changes never reached their target. Fix the cause, then send them again.`
          : 'No dead letters.'}
        {outcome && !(outcome instanceof Error) && <span data-testid="retry-outcome"> {formatCount(outcome.retried)} queued again.</span>}
      </p>
      {outcome instanceof Error && <ErrorNote error={outcome} onRetry={() => void retryAll()} />}
      {items.length > 0 && (
        <div className="table-scroll">
          <table className="legs-table dead-letters-table">
            <thead>
              <tr>
                <th>Queued</th>
                <th>Target</th>
                <th>Call</th>
                <th>Change</th>
                <th>Tries</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} data-delivery-id={d.id}>
                  <td className="mono">{formatDateTime(d.createdAt)}</td>
                  <td>{d.sink}</td>
                  <td className="mono"><a className="link" href={callHref(d.callId)}>{d.callId}</a></td>
                  <td>{d.eventType}</td>
                  <td>{formatCount(d.attempts)}</td>
                  <td className="dead-reason">{d.lastError ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {dead > items.length && <p className="note">The newest {formatCount(items.length)} are listed.</p>}
        </div>
      )}
    </div>
  );
}
