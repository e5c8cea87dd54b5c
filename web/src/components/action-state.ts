// One change sent to the API at a time from a form or button: busy while it runs, its error kept to show.
import { useCallback, useState } from 'react';
import { ApiError } from '../api/client.ts';

export interface Action {
  busy: boolean;
  error: string | null;
  run: (work: () => Promise<unknown>) => Promise<boolean>;
  clear: () => void;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.code.startsWith('HTTP_') ? error.message : `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

/** `describe` turns a failure into the words shown (a page may name the objects an error is about). */
export function useAction(describe: (error: unknown) => string = errorText): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (reason) {
      setError(describe(reason));
      return false;
    } finally {
      setBusy(false);
    }
  }, [describe]);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}
