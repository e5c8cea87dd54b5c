// The console's presence board, polled: every POLL_MS while the tab is visible, the next request only after
// the previous one answered (a slow engine is never asked twice at once), nothing while the tab is hidden
// (a board nobody sees costs the engine nothing) and at once when it shows again. A failed poll keeps the
// last board on screen, says so, and the polling carries on.
import { useEffect, useState } from 'react';
import { getJson } from '../api/client.ts';
import { PRESENCE_PATH, type PresenceBoard } from '../api/presence-types.ts';
import { useAuthState } from './use-api.ts';

export const POLL_MS = 2000;

export interface PresenceState {
  board: PresenceBoard | null;
  /** The last poll's failure; null once one succeeds again. */
  error: Error | null;
  /** When (browser clock) the board shown was fetched. */
  fetchedAtMs: number | null;
}

export function usePresence(): PresenceState {
  const { keyVersion } = useAuthState();
  const [state, setState] = useState<PresenceState>({ board: null, error: null, fetchedAtMs: null });

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let inFlight = false;

    const poll = async (): Promise<void> => {
      timer = null;
      if (inFlight || controller.signal.aborted || document.hidden) return;
      inFlight = true;
      try {
        const board = await getJson<PresenceBoard>(PRESENCE_PATH, { signal: controller.signal });
        if (!controller.signal.aborted) setState({ board, error: null, fetchedAtMs: Date.now() });
      } catch (error) {
        if (!controller.signal.aborted) {
          setState((previous) => ({ ...previous, error: error instanceof Error ? error : new Error(String(error)) }));
        }
      } finally {
        inFlight = false;
      }
      if (!controller.signal.aborted && !document.hidden) timer = setTimeout(() => void poll(), POLL_MS);
    };

    const onVisibility = (): void => {
      if (document.hidden) {
        if (timer !== null) clearTimeout(timer);
        timer = null;
      } else if (timer === null && !inFlight) {
        void poll();
      }
    };

    document.addEventListener('visibilitychange', onVisibility);
    void poll();
    return () => {
      controller.abort();
      if (timer !== null) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [keyVersion]);

  return state;
}
