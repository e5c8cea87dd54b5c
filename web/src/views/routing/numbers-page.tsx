// The tenant's numbers (given by the operator) and where their calls go; each can be routed to a destination
// (or left to the engine's default: not routed) and recorded.
import { useState } from 'react';
import type { Items } from '../../api/account-types.ts';
import { routingApi, type Destination, type NumberRouteView } from '../../api/routing.ts';
import { DestinationPicker } from '../../components/destination-picker.tsx';
import { Checkbox } from '../../components/routing-fields.tsx';
import { Empty, ErrorNote, Loading } from '../../components/page-state.tsx';
import { describeDestination } from '../../lib/routing-words.ts';
import { useRouting } from '../../state/routing-directory.ts';
import { useApi } from '../../state/use-api.ts';
import { RoutingError, useRoutingAction } from './routing-action.tsx';

function NumberRow({ route, canWrite, onChanged }: { route: NumberRouteView; canWrite: boolean; onChanged: () => void }) {
  const { lists } = useRouting();
  const [editing, setEditing] = useState(false);
  const [destination, setDestination] = useState<Destination | null>(route.destination);
  const [record, setRecord] = useState(route.record);
  const action = useRoutingAction();
  return (
    <li className="account-row routing-row" data-number={route.number}>
      <div className="account-main">
        <span className="account-title mono">{route.number}</span>
        {route.label && <span className="muted small">{route.label}</span>}
      </div>
      <div className="account-facts">
        <span data-testid="number-destination">→ {describeDestination(route.destination, lists)}</span>
        {route.record && <span className="tag">recorded</span>}
      </div>
      {canWrite && !editing && (
        <div className="row-actions">
          <button type="button" className="button small" onClick={() => setEditing(true)}>Change destination</button>
        </div>
      )}
      {editing && (
        <form
          className="inline-form"
          aria-label={`Destination of ${route.number}`}
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(() => routingApi.setNumber(route.number, destination, record)).then((ok) => {
              if (!ok) return;
              setEditing(false);
              onChanged();
            });
          }}
        >
          <DestinationPicker label={`Destination of ${route.number}`} noneLabel="Not routed" value={destination} onChange={setDestination} />
          <Checkbox label="Record calls" name="record" checked={record} onChange={setRecord} />
          <div className="form-actions">
            <button type="submit" className="button primary small" disabled={action.busy}>Save</button>
            <button type="button" className="button small" onClick={() => setEditing(false)}>Cancel</button>
          </div>
        </form>
      )}
      <RoutingError error={action.error} />
    </li>
  );
}

export function NumbersPage({ canWrite }: { canWrite: boolean }) {
  const numbers = useApi<Items<NumberRouteView>>(routingApi.numbersPath);
  const { reload } = useRouting();
  return (
    <section className="routing-page" aria-labelledby="routing-page-title">
      <header className="routing-page-head">
        <h2 id="routing-page-title">Numbers</h2>
      </header>
      {numbers.error && !numbers.data ? (
        <ErrorNote error={numbers.error} onRetry={numbers.reload} />
      ) : !numbers.data ? (
        <Loading what="numbers" />
      ) : numbers.data.items.length === 0 ? (
        <Empty>No numbers yet: the operator gives the tenant its numbers.</Empty>
      ) : (
        <ul className="panel account-list routing-list" data-testid="number-list">
          {numbers.data.items.map((route) => (
            <NumberRow
              key={`${route.number}:${JSON.stringify(route.destination)}:${String(route.record)}`}
              route={route}
              canWrite={canWrite}
              onChanged={() => {
                numbers.reload();
                reload();
              }}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
