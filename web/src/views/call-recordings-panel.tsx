// A call's recorded conversations (numbers and extensions that record their calls): played from the engine,
// which fetches the audio from Asterisk; deleted (file and listing) by those who may change calls.
import { useState } from 'react';
import { sendJson } from '../api/client.ts';
import { ErrorNote } from '../components/page-state.tsx';
import { formatDateTime, formatDuration } from '../lib/format.ts';
import { can, useSession } from '../state/session.ts';
import { useApi } from '../state/use-api.ts';

interface CallRecordingItem {
  id: string;
  durationS: number;
  policy: 'number' | 'extension';
  startedAt: string;
  createdAt: string;
  audioUrl: string;
}

const WHY: Record<CallRecordingItem['policy'], string> = {
  number: 'the number called records its calls',
  extension: 'the extension that answered records its calls',
};

export function CallRecordingsPanel({ callId, version }: { callId: string; version: string }) {
  // `version` (the call's updatedAt) changes while the call goes on: a recording is listed once it has ended.
  const list = useApi<{ items: CallRecordingItem[] }>(`/api/calls/${encodeURIComponent(callId)}/recordings?v=${encodeURIComponent(version)}`);
  const { session } = useSession();
  const [deleting, setDeleting] = useState<string | null>(null);
  const [failure, setFailure] = useState<Error | null>(null);
  const items = list.data?.items ?? [];
  if (items.length === 0 && !list.error) return null;

  const remove = async (id: string): Promise<void> => {
    if (!window.confirm('Delete this recording? Its audio is removed from the PBX too.')) return;
    setDeleting(id);
    setFailure(null);
    try {
      await sendJson('DELETE', `/api/recordings/${encodeURIComponent(id)}`);
      list.reload();
    } catch (error) {
      setFailure(error as Error);
    } finally {
      setDeleting(null);
    }
  };

  return (
    <div className="panel" data-testid="call-recordings">
      <div className="panel-head"><h2>Recordings</h2></div>
      {list.error && <ErrorNote error={list.error} onRetry={list.reload} />}
      {failure && <ErrorNote error={failure} />}
      <ul className="recording-list">
        {items.map((item) => (
          <li key={item.id} className="recording-item">
            <audio controls preload="none" src={item.audioUrl} aria-label={`Recording of ${formatDuration(item.durationS * 1000)}`} />
            <span className="mono">{formatDuration(item.durationS * 1000)}</span>
            <span className="muted small">
              {formatDateTime(item.startedAt)} · {WHY[item.policy]}
            </span>
            {can(session, 'calls:write') && (
              <button type="button" className="button danger small" disabled={deleting === item.id} onClick={() => void remove(item.id)}>
                {deleting === item.id ? 'Deleting…' : 'Delete'}
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
