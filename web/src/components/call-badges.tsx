// The small coloured markers every list shares, so a state looks the same in each view.
import type { CallRecord, Direction, Disposition } from '../api/types.ts';
import { callTone, directionLabel, dispositionLabel, statusLabel } from '../lib/format.ts';

export function StatePill({ call }: { call: Pick<CallRecord, 'status' | 'disposition'> }) {
  const label = call.status === 'finished' ? dispositionLabel(call.disposition) : statusLabel(call.status);
  return (
    <span className={`pill tone-${callTone(call)}`} data-state={call.status}>
      <span className="pill-dot" aria-hidden="true" />
      {label}
    </span>
  );
}

export function DispositionPill({ disposition }: { disposition: Disposition | null }) {
  if (disposition === null) return <span className="muted">–</span>;
  return (
    <span className={`pill tone-${disposition}`}>
      <span className="pill-dot" aria-hidden="true" />
      {dispositionLabel(disposition)}
    </span>
  );
}

const DIRECTION_PATHS: Record<Direction, string> = {
  // Arrows drawn on a 16-unit grid: into the building, out of it, sideways, unknown.
  inbound: 'M12 4 L4 12 M4 6 V12 H10',
  outbound: 'M4 12 L12 4 M6 4 H12 V10',
  internal: 'M3 8 H13 M6 5 L3 8 L6 11 M10 5 L13 8 L10 11',
  unknown: 'M6 6 A2 2 0 1 1 9 7.7 C8 8.3 8 9 8 10 M8 12.5 V12.6',
};

export function DirectionTag({ direction }: { direction: Direction }) {
  return (
    <span className={`direction dir-${direction}`} title={directionLabel(direction)}>
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
        <path d={DIRECTION_PATHS[direction]} fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <span className="direction-label">{directionLabel(direction)}</span>
    </span>
  );
}
