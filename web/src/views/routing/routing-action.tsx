// One routing change at a time from a form or button: busy while it runs, its error in plain words.
import { useCallback } from 'react';
import { useAction, type Action } from '../../components/action-state.ts';
import { routingErrorText } from '../../lib/routing-words.ts';
import { useRouting } from '../../state/routing-directory.ts';

export function useRoutingAction(): Action {
  const { lists } = useRouting();
  const describe = useCallback((reason: unknown) => routingErrorText(reason, lists), [lists]);
  return useAction(describe);
}

export function RoutingError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert" data-testid="routing-error">
      {error}
    </p>
  );
}
