// One tenant's call rules (a table of server / context / endpoint / called-number rows, saved as a whole,
// tried in this order) and the numbers it owns.
import { useState } from 'react';
import type { Items, RuleMatch, Tenant, TenantNumber, TenantRule } from '../api/account-types.ts';
import { sendJson } from '../api/client.ts';
import { useAction } from '../components/action-state.ts';
import { FormError } from '../components/form-error.tsx';
import { Empty, ErrorNote, Loading } from '../components/page-state.tsx';
import { useApi } from '../state/use-api.ts';

interface RuleDraft {
  key: number;
  server: string;
  context: string;
  endpoint: string;
  calledNumber: boolean;
}

let draftKeys = 0;
function draftOf(match: RuleMatch): RuleDraft {
  return { key: ++draftKeys, server: match.server ?? '', context: match.context ?? '', endpoint: match.endpoint ?? '', calledNumber: match.calledNumber === true };
}

function matchOf(draft: RuleDraft): RuleMatch {
  const match: RuleMatch = {};
  if (draft.server.trim()) match.server = draft.server.trim();
  if (draft.context.trim()) match.context = draft.context.trim();
  if (draft.endpoint.trim()) match.endpoint = draft.endpoint.trim();
  if (draft.calledNumber) match.calledNumber = true;
  return match;
}

function RulesEditor({ tenantId, rules }: { tenantId: string; rules: TenantRule[] }) {
  const [drafts, setDrafts] = useState<RuleDraft[]>(() => rules.map((rule) => draftOf(rule.match)));
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const update = (key: number, change: Partial<RuleDraft>) => {
    setSaved(false);
    setDrafts((list) => list.map((draft) => (draft.key === key ? { ...draft, ...change } : draft)));
  };
  const empty = drafts.some((draft) => Object.keys(matchOf(draft)).length === 0);
  return (
    <form
      className="panel"
      aria-labelledby="rules-title"
      data-testid="rules-editor"
      onSubmit={(event) => {
        event.preventDefault();
        void action
          .run(async () => {
            // The engine's answer is the rules as stored, in their order: the table shows them from now on.
            const stored = await sendJson<Items<TenantRule>>('PUT', `/api/tenants/${encodeURIComponent(tenantId)}/rules`, { rules: drafts.map(matchOf) });
            setDrafts(stored.items.map((rule) => draftOf(rule.match)));
          })
          .then(setSaved);
      }}
    >
      <div className="panel-head">
        <h2 id="rules-title">Call rules</h2>
        <button type="button" className="button small" onClick={() => setDrafts([...drafts, draftOf({})])}>Add rule</button>
      </div>
      <p className="note">
        A call whose first channel matches every filled field of a rule belongs to this tenant. Endpoint takes * and ?;
        “Called number” means the call was placed to one of this tenant’s numbers.
      </p>
      {drafts.length === 0 ? (
        <Empty>No rules: only this tenant’s numbers bring it calls.</Empty>
      ) : (
        <div className="table-scroll">
          <table className="legs-table rules-table">
            <thead>
              <tr>
                <th>#</th>
                <th>Server</th>
                <th>Context</th>
                <th>Endpoint</th>
                <th>Called number</th>
                <th><span className="sr-only">Remove</span></th>
              </tr>
            </thead>
            <tbody>
              {drafts.map((draft, index) => (
                <tr key={draft.key}>
                  <td>{index + 1}</td>
                  <td><input aria-label={`Rule ${index + 1} server`} value={draft.server} onChange={(event) => update(draft.key, { server: event.target.value })} /></td>
                  <td><input aria-label={`Rule ${index + 1} context`} value={draft.context} onChange={(event) => update(draft.key, { context: event.target.value })} /></td>
                  <td><input aria-label={`Rule ${index + 1} endpoint`} placeholder="PJSIP/acme-*" value={draft.endpoint} onChange={(event) => update(draft.key, { endpoint: event.target.value })} /></td>
                  <td><input type="checkbox" aria-label={`Rule ${index + 1} called number`} checked={draft.calledNumber} onChange={(event) => update(draft.key, { calledNumber: event.target.checked })} /></td>
                  <td>
                    <button type="button" className="button small" aria-label={`Remove rule ${index + 1}`} onClick={() => { setSaved(false); setDrafts(drafts.filter((d) => d.key !== draft.key)); }}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={action.busy || empty} title={empty ? 'Every rule needs at least one field' : undefined}>
          Save rules
        </button>
        {saved && <span className="muted small" role="status">Saved.</span>}
      </div>
      <FormError error={action.error} />
    </form>
  );
}

function NumbersPanel({ tenantId }: { tenantId: string }) {
  const base = `/api/tenants/${encodeURIComponent(tenantId)}/numbers`;
  const numbers = useApi<Items<TenantNumber>>(base);
  const [number, setNumber] = useState('');
  const [label, setLabel] = useState('');
  const action = useAction();
  return (
    <div className="panel" data-testid="numbers-panel">
      <div className="panel-head"><h2>Numbers</h2></div>
      <form
        className="form-grid"
        aria-label="Add a number"
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(() => sendJson<TenantNumber>('POST', base, { number: number.trim(), label: label.trim() || null })).then((ok) => {
            if (!ok) return;
            setNumber('');
            setLabel('');
            numbers.reload();
          });
        }}
      >
        <label className="field">
          <span className="field-label">Number</span>
          <input name="number" required placeholder="+4930123456" value={number} onChange={(event) => setNumber(event.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">Label</span>
          <input name="label" value={label} onChange={(event) => setLabel(event.target.value)} />
        </label>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={action.busy}>Add number</button>
        </div>
      </form>
      <FormError error={action.error} />
      {numbers.error && !numbers.data ? (
        <ErrorNote error={numbers.error} onRetry={numbers.reload} />
      ) : !numbers.data ? (
        <Loading what="numbers" />
      ) : numbers.data.items.length === 0 ? (
        <p className="note">No numbers.</p>
      ) : (
        <ul className="number-list">
          {numbers.data.items.map((item) => (
            <li key={item.number}>
              <span className="mono">{item.number}</span>
              {item.label && <span className="muted small">{item.label}</span>}
              <button
                type="button"
                className="button small"
                aria-label={`Remove ${item.number}`}
                onClick={() => void action.run(() => sendJson<null>('DELETE', `${base}/${encodeURIComponent(item.number)}`)).then((ok) => ok && numbers.reload())}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function TenantDetailView({ id }: { id: string }) {
  const base = `/api/tenants/${encodeURIComponent(id)}`;
  const tenant = useApi<Tenant>(base);
  const rules = useApi<Items<TenantRule>>(`${base}/rules`);
  const error = tenant.error ?? rules.error;
  return (
    <section className="view accounts-view" aria-labelledby="tenant-title">
      <header className="view-head">
        <h1 id="tenant-title">{tenant.data?.name ?? 'Tenant'}</h1>
        <a className="link" href="#/tenants">All tenants</a>
      </header>
      {error && !(tenant.data && rules.data) ? (
        <ErrorNote error={error} onRetry={() => { tenant.reload(); rules.reload(); }} />
      ) : !tenant.data || !rules.data ? (
        <Loading what="the tenant" />
      ) : (
        <>
          <RulesEditor tenantId={id} rules={rules.data.items} />
          <NumbersPanel tenantId={id} />
        </>
      )}
    </section>
  );
}
