// The tenant's API keys (keys:manage): listed by name and prefix, created with a role (the key is shown
// once, here, and stored nowhere), revoked.
import { useState } from 'react';
import { TENANT_ROLES, type ApiKeyInfo, type CreatedApiKey, type Items, type Session, type TenantRole } from '../api/account-types.ts';
import { sendJson } from '../api/client.ts';
import { useAction } from '../components/action-state.ts';
import { FormError } from '../components/form-error.tsx';
import { Empty, ErrorNote, Loading } from '../components/page-state.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useApi } from '../state/use-api.ts';

function NewKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="panel new-key" role="status" data-testid="new-key">
      <h2>Key “{created.name}” created</h2>
      <p className="warning-note">Copy it now: it is shown this once and cannot be seen again.</p>
      <div className="key-line">
        <code className="mono key-value" data-testid="new-key-value">{created.key}</code>
        <button
          type="button"
          className="button small"
          onClick={() => {
            navigator.clipboard?.writeText(created.key).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <button type="button" className="button small" onClick={onDone}>I have stored it</button>
    </div>
  );
}

function KeyRow({ apiKey, onChanged }: { apiKey: ApiKeyInfo; onChanged: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const revoked = apiKey.revokedAt !== null;
  return (
    <tr data-key-name={apiKey.name} className={revoked ? 'revoked' : undefined}>
      <td>{apiKey.name}</td>
      <td><span className="tag">{apiKey.role}</span></td>
      <td className="mono">{apiKey.prefix}…</td>
      <td>{formatDateTime(apiKey.createdAt)}</td>
      <td>{apiKey.lastUsedAt ? formatDateTime(apiKey.lastUsedAt) : 'Never'}</td>
      <td data-testid="key-state">
        {revoked ? (
          <span className="tag tag-bad">revoked {formatDateTime(apiKey.revokedAt)}</span>
        ) : confirming ? (
          <span className="confirm">
            <button type="button" className="button small danger" disabled={action.busy} onClick={() => void action.run(() => sendJson<null>('DELETE', `/api/keys/${encodeURIComponent(apiKey.id)}`)).then((ok) => ok && onChanged())}>
              Yes, revoke
            </button>
            <button type="button" className="button small" onClick={() => setConfirming(false)}>Keep</button>
          </span>
        ) : (
          <button type="button" className="button small" onClick={() => setConfirming(true)} aria-label={`Revoke ${apiKey.name}`}>Revoke</button>
        )}
        <FormError error={action.error} />
      </td>
    </tr>
  );
}

export function KeysView({ session }: { session: Session }) {
  const inTenant = session.tenantId !== null;
  const keys = useApi<Items<ApiKeyInfo>>(inTenant ? '/api/keys' : null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<TenantRole>('reporter');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const action = useAction();
  const roles = TENANT_ROLES.filter((value) => session.role !== 'admin' || value !== 'owner');
  return (
    <section className="view accounts-view" aria-labelledby="keys-title">
      <header className="view-head">
        <h1 id="keys-title">API keys</h1>
        {session.tenant && <span className="muted">{session.tenant.name}</span>}
      </header>
      {!inTenant ? (
        <Empty>Keys belong to a tenant: choose one in the tenant switcher. Platform keys are set in the configuration (API_KEYS).</Empty>
      ) : (
        <>
          {created && <NewKey created={created} onDone={() => setCreated(null)} />}
          <form
            className="panel form-grid"
            aria-labelledby="new-key-title"
            onSubmit={(event) => {
              event.preventDefault();
              void action.run(async () => {
                const made = await sendJson<CreatedApiKey>('POST', '/api/keys', { name: name.trim(), role });
                setCreated(made);
                setName('');
                keys.reload();
              });
            }}
          >
            <h2 id="new-key-title" className="form-title">New key</h2>
            <label className="field">
              <span className="field-label">Name</span>
              <input name="keyName" required placeholder="wallboard" value={name} onChange={(event) => setName(event.target.value)} />
            </label>
            <label className="field">
              <span className="field-label">Role</span>
              <select name="keyRole" value={role} onChange={(event) => setRole(event.target.value as TenantRole)}>
                {roles.map((value) => (
                  <option key={value} value={value}>{value}</option>
                ))}
              </select>
            </label>
            <div className="form-actions">
              <button type="submit" className="button primary" disabled={action.busy}>Create key</button>
            </div>
            <FormError error={action.error} />
          </form>
          {keys.error && !keys.data ? (
            <ErrorNote error={keys.error} onRetry={keys.reload} />
          ) : !keys.data ? (
            <Loading what="keys" />
          ) : keys.data.items.length === 0 ? (
            <Empty>No keys yet.</Empty>
          ) : (
            <div className="panel table-scroll">
              <table className="legs-table" data-testid="key-list">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Role</th>
                    <th>Prefix</th>
                    <th>Created</th>
                    <th>Last used</th>
                    <th>State</th>
                  </tr>
                </thead>
                <tbody>
                  {keys.data.items.map((apiKey) => (
                    <KeyRow key={`${apiKey.id}:${apiKey.revokedAt ?? ''}`} apiKey={apiKey} onChanged={keys.reload} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
