// Display formatting shared by every view. Pure: callers pass the clock in.
import type { CallRecord, CallStatus, Direction, Disposition } from '../api/types.ts';

/** `0:07`, `12:03`, `1:02:03`; negative spans (clock skew) show as `0:00`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const ss = String(seconds).padStart(2, '0');
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, '0')}:${ss}`;
  return `${minutes}:${ss}`;
}

/** Short human span for ages and averages: `850 ms`, `42 s`, `3 min`, `2 h 5 min`. */
export function formatSpan(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '–';
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '–';
  const day = date.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' });
  return `${day} ${formatTime(iso)}`;
}

export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  return `${(ratio * 100).toFixed(ratio >= 0.995 || ratio === 0 ? 0 : 1)}%`;
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US');
}

const DIRECTION_LABELS: Record<Direction, string> = {
  inbound: 'Inbound',
  outbound: 'Outbound',
  internal: 'Internal',
  unknown: 'Unknown',
};

const DISPOSITION_LABELS: Record<Disposition, string> = {
  answered: 'Answered',
  no_answer: 'No answer',
  busy: 'Busy',
  congestion: 'Congestion',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

export function directionLabel(direction: Direction): string {
  return DIRECTION_LABELS[direction] ?? direction;
}

export function dispositionLabel(disposition: Disposition | null | string): string {
  if (disposition === null) return '–';
  return DISPOSITION_LABELS[disposition as Disposition] ?? disposition;
}

/** What an operator calls the state: a live call is `Ringing` or `Talking`. */
export function statusLabel(status: CallStatus): string {
  switch (status) {
    case 'ringing':
      return 'Ringing';
    case 'answered':
      return 'Talking';
    case 'finished':
      return 'Finished';
  }
}

/** The one word that decides a call's colour: its live state, or how it ended. */
export function callTone(call: Pick<CallRecord, 'status' | 'disposition'>): string {
  if (call.status !== 'finished') return call.status;
  return call.disposition ?? 'failed';
}

/** The live clock of a call: ringing since it started, talking since it was answered. */
export function liveElapsedMs(call: Pick<CallRecord, 'status' | 'startedAt' | 'answeredAt'>, nowMs: number): number {
  const since = call.status === 'answered' && call.answeredAt ? call.answeredAt : call.startedAt;
  return nowMs - Date.parse(since);
}

/** A number for display; anonymous callers have none. */
export function displayNumber(value: string | null | undefined): string {
  return value && value.trim() !== '' ? value : 'Unknown';
}
