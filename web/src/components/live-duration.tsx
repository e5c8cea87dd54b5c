import type { CallRecord } from '../api/types.ts';
import { formatDuration, liveElapsedMs } from '../lib/format.ts';
import { useNow } from '../state/ticker.ts';

/** A ringing or talking clock that ticks with the shared one-second ticker. */
export function LiveDuration({ call }: { call: Pick<CallRecord, 'status' | 'startedAt' | 'answeredAt'> }) {
  const nowMs = useNow();
  return <span className="mono">{formatDuration(liveElapsedMs(call, nowMs))}</span>;
}

/** Time since an instant, ticking: the running length of a call that has not ended. */
export function ElapsedSince({ since }: { since: string }) {
  const nowMs = useNow();
  return <span className="mono">{formatDuration(nowMs - Date.parse(since))}</span>;
}
