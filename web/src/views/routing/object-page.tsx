// One routing object type as a page: its list, a create form, and per row edit (the same form, filled in)
// and delete (confirmed; a 409 says what still uses the object). Write controls only with routing:write.
import { useState, type ReactNode } from 'react';
import { routingApi, type BodyOf, type RoutingKind, type ViewOf } from '../../api/routing.ts';
import { Empty } from '../../components/page-state.tsx';
import { objectLabel } from '../../lib/routing-words.ts';
import { useRouting } from '../../state/routing-directory.ts';
import { RoutingError, useRoutingAction } from './routing-action.tsx';

export interface FormProps<K extends RoutingKind> {
  initial: ViewOf<K> | null;
  busy: boolean;
  submitLabel: string;
  onSubmit: (body: BodyOf<K>) => void;
  onCancel: () => void;
}

interface Props<K extends RoutingKind> {
  kind: K;
  title: string;
  /** "extension": in buttons ("New extension") and confirmations. */
  singular: string;
  canWrite: boolean;
  Form: (props: FormProps<K>) => ReactNode;
  facts: (item: ViewOf<K>) => ReactNode;
  /** Shown under a row (an IVR menu's graph, a voicemail box's inbox). */
  extra?: (item: ViewOf<K>) => ReactNode;
  onCreated?: (item: ViewOf<K>) => void;
  /** Above the list (a password shown once). */
  children?: ReactNode;
}

type Named = { id: string; name: string; number?: string | null; updatedAt: string };

function Row<K extends RoutingKind>({ item, props }: { item: ViewOf<K>; props: Props<K> }) {
  const { reload } = useRouting();
  const [mode, setMode] = useState<'view' | 'edit' | 'delete'>('view');
  const action = useRoutingAction();
  const named = item as unknown as Named;
  const { Form } = props;
  return (
    <li className="account-row routing-row" data-routing-name={named.name} data-routing-id={named.id}>
      <div className="account-main">
        <span className="account-title">{objectLabel(named)}</span>
      </div>
      <div className="account-facts">{props.facts(item)}</div>
      {props.canWrite && mode === 'view' && (
        <div className="row-actions">
          <button type="button" className="button small" onClick={() => { action.clear(); setMode('edit'); }}>Edit</button>
          <button type="button" className="button small danger" onClick={() => { action.clear(); setMode('delete'); }}>Delete</button>
        </div>
      )}
      {mode === 'edit' && (
        <div className="routing-edit" aria-label={`Edit ${named.name}`} role="region">
          <Form
            initial={item}
            busy={action.busy}
            submitLabel="Save"
            onCancel={() => setMode('view')}
            onSubmit={(body) =>
              void action.run(() => routingApi.update(props.kind, named.id, body)).then((ok) => {
                if (!ok) return;
                setMode('view');
                reload();
              })
            }
          />
        </div>
      )}
      {mode === 'delete' && (
        <div className="inline-form confirm" role="group" aria-label={`Delete ${named.name}`}>
          <span>Delete the {props.singular} {named.name}?</span>
          <div className="form-actions">
            <button
              type="button"
              className="button small danger"
              disabled={action.busy}
              onClick={() => void action.run(() => routingApi.remove(props.kind, named.id)).then((ok) => ok && reload())}
            >
              Yes, delete
            </button>
            <button type="button" className="button small" onClick={() => { action.clear(); setMode('view'); }}>Keep</button>
          </div>
        </div>
      )}
      <RoutingError error={action.error} />
      {props.extra?.(item)}
    </li>
  );
}

export function ObjectPage<K extends RoutingKind>(props: Props<K>) {
  const { lists, reload } = useRouting();
  const [creating, setCreating] = useState(false);
  const action = useRoutingAction();
  const items = (lists[props.kind] ?? []) as ViewOf<K>[];
  const { Form } = props;
  return (
    <section className="routing-page" aria-labelledby="routing-page-title">
      <header className="routing-page-head">
        <h2 id="routing-page-title">{props.title}</h2>
        {props.canWrite && !creating && (
          <button type="button" className="button primary small" onClick={() => { action.clear(); setCreating(true); }}>
            New {props.singular}
          </button>
        )}
      </header>
      {props.children}
      {creating && (
        <div className="panel routing-create" data-testid="routing-create">
          <h3 className="form-title">New {props.singular}</h3>
          <Form
            initial={null}
            busy={action.busy}
            submitLabel={`Create ${props.singular}`}
            onCancel={() => setCreating(false)}
            onSubmit={(body) =>
              void action.run(async () => {
                const created = await routingApi.create(props.kind, body);
                props.onCreated?.(created);
              }).then((ok) => {
                if (!ok) return;
                setCreating(false);
                reload();
              })
            }
          />
          <RoutingError error={action.error} />
        </div>
      )}
      {items.length === 0 ? (
        <Empty>No {props.title.toLowerCase()} yet.</Empty>
      ) : (
        <ul className="panel account-list routing-list" data-testid={`routing-list-${props.kind}`}>
          {items.map((item) => {
            const named = item as unknown as Named;
            return <Row key={`${named.id}:${named.updatedAt}`} item={item} props={props} />;
          })}
        </ul>
      )}
    </section>
  );
}
