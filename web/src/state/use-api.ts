// Loads one API resource for a view; re-fetches when the path or the API key changes, and optionally on
// an interval (health and statistics only; live calls come over the WebSocket).
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { getJson, type GetOptions } from '../api/client.ts';
import { getAuthState, subscribeAuth } from './api-key.ts';

export interface ApiState<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

export function useAuthState() {
  return useSyncExternalStore(subscribeAuth, getAuthState);
}

export function useApi<T>(
  path: string | null,
  options: Pick<GetOptions, 'acceptStatuses'> & {
    refreshMs?: number;
    /** Keep showing the last result while another path loads (paging, moving windows). */
    keepPrevious?: boolean;
  } = {},
): ApiState<T> {
  const { keyVersion } = useAuthState();
  // Results remember their path so a view switching to another call never shows the previous one's data.
  const [state, setState] = useState<{ path: string | null; data: T | null; error: Error | null; loading: boolean }>({
    path: null,
    data: null,
    error: null,
    loading: path !== null,
  });
  const [reloads, setReloads] = useState(0);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  const accept = options.acceptStatuses?.join(',') ?? '';

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    const load = () =>
      getJson<T>(path, {
        signal: controller.signal,
        acceptStatuses: accept ? accept.split(',').map(Number) : [],
      }).then(
        (data) => {
          if (!controller.signal.aborted) setState({ path, data, error: null, loading: false });
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          setState((previous) => ({
            path,
            data: previous.path === path ? previous.data : null,
            error: error instanceof Error ? error : new Error(String(error)),
            loading: false,
          }));
        },
      );
    void load();
    const timer = options.refreshMs ? setInterval(() => void load(), options.refreshMs) : undefined;
    return () => {
      controller.abort();
      if (timer) clearInterval(timer);
    };
  }, [path, accept, keyVersion, reloads, options.refreshMs]);

  const exact = state.path === path;
  const shown = exact || (options.keepPrevious === true && state.data !== null);
  return {
    data: shown ? state.data : null,
    error: exact ? state.error : null,
    loading: exact ? state.loading : path !== null,
    reload,
  };
}
