// One routing change at a time from a form or button: busy while it runs, its error in plain words.
import { useCallback, useState } from 'react';
import { routingErrorText } from '../../lib/routing-words.ts';
import { useRouting } from '../../state/routing-directory.ts';

export function useRoutingAction() {
  const { lists } = useRouting();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (work: () => Promise<unknown>): Promise<boolean> => {
      setBusy(true);
      setError(null);
      try {
        await work();
        return true;
      } catch (reason) {
        setError(routingErrorText(reason, lists));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [lists],
  );
  return { busy, error, run, clear: () => setError(null) };
}

export function RoutingError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert" data-testid="routing-error">
      {error}
    </p>
  );
}
