// The operator console's words and sums (pure): a phone's state said in words (the tiles also colour it, but
// colour alone tells a colour-blind operator nothing), how long it has been so, the board's totals, and a
// routed call's path cut to what fits a row.
import type { CallRoute } from '../../../src/domain/call.ts';
import type { ExtensionPresence, Presence } from '../api/presence-types.ts';
import { formatDuration } from './format.ts';

/** Busiest first: the order of the counts and of the legend. */
export const PRESENCE_ORDER: readonly Presence[] = ['in-call', 'ringing', 'idle', 'unavailable'];

export const PRESENCE_WORDS: Record<Presence, string> = {
  idle: 'Idle',
  ringing: 'Ringing',
  'in-call': 'In a call',
  unavailable: 'Unavailable',
};

/** Time in the current state (`3:07`), or null when the engine never saw the phone change. */
export function timeInState(since: string | null, nowMs: number): string | null {
  if (since === null) return null;
  const sinceMs = Date.parse(since);
  if (!Number.isFinite(sinceMs)) return null;
  return formatDuration(nowMs - sinceMs);
}

export function countByPresence(extensions: readonly Pick<ExtensionPresence, 'state'>[]): Record<Presence, number> {
  const counts: Record<Presence, number> = { idle: 0, ringing: 0, 'in-call': 0, unavailable: 0 };
  for (const extension of extensions) counts[extension.state]++;
  return counts;
}

/** Steps a row shows: the latest, since they say where the call is now. */
export const ROUTE_STEPS_SHOWN = 2;

/** The latest steps of a route joined for one line ("…" marks steps left out); '' for no route. */
export function routeSummary(route: Pick<CallRoute, 'path'> | null, steps = ROUTE_STEPS_SHOWN): string {
  if (route === null || route.path.length === 0) return '';
  const shown = route.path.slice(-steps).join(' › ');
  return route.path.length > steps ? `… › ${shown}` : shown;
}

/** The whole path, one step a line: a row's hover text. */
export function routeFull(route: Pick<CallRoute, 'path'> | null): string {
  return route === null ? '' : route.path.join('\n');
}
