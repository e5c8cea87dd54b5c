import type { CallRecord } from '../api/types.ts';
import { formatDuration, liveElapsedMs } from '../lib/format.ts';
import { useNow } from '../state/ticker.ts';

type ClockedCall = Pick<CallRecord, 'status' | 'startedAt' | 'answeredAt'>;

/** A ringing or talking clock that ticks with the shared one-second ticker. */
export function LiveDuration({ call }: { call: ClockedCall }) {
  const nowMs = useNow();
  return <span className="mono">{formatDuration(liveElapsedMs(call, nowMs))}</span>;
}

/**
 * The same clock stopped at an instant: while the live stream is away nobody knows whether the call still
 * rings or talks, so its time is shown as it was then, marked as such, rather than counting on.
 */
export function FrozenDuration({ call, atMs }: { call: ClockedCall; atMs: number }) {
  return (
    <span className="mono frozen" title="Not updated while the live stream is disconnected" data-frozen="true">
      {formatDuration(liveElapsedMs(call, atMs))}
    </span>
  );
}

/** Time since an instant, ticking: the running length of a call that has not ended. */
export function ElapsedSince({ since }: { since: string }) {
  const nowMs = useNow();
  return <span className="mono">{formatDuration(nowMs - Date.parse(since))}</span>;
}
