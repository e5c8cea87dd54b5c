// Tenants (tenants:manage, operators): the list, a new tenant, suspending and reactivating; each tenant's
// call rules and numbers on its own page (#/tenants/<id>).
import { useState } from 'react';
import type { Items, Tenant } from '../api/account-types.ts';
import { sendJson } from '../api/client.ts';
import { tenantsChanged } from '../components/account-bar.tsx';
import { useAction } from '../components/action-state.ts';
import { FormError } from '../components/form-error.tsx';
import { Empty, ErrorNote, Loading } from '../components/page-state.tsx';
import { formatDateTime } from '../lib/format.ts';
import { routeHref } from '../lib/hash-route.ts';
import { useApi } from '../state/use-api.ts';

function slugOf(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

function CreateTenantForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const [timezone, setTimezone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const action = useAction();
  return (
    <form
      className="panel form-grid"
      aria-labelledby="new-tenant-title"
      data-testid="create-tenant"
      onSubmit={(event) => {
        event.preventDefault();
        void action.run(() => sendJson<Tenant>('POST', '/api/tenants', { name: name.trim(), slug, timezone: timezone.trim() })).then((ok) => {
          if (!ok) return;
          setName('');
          setSlug('');
          setSlugTouched(false);
          onCreated();
        });
      }}
    >
      <h2 id="new-tenant-title" className="form-title">New tenant</h2>
      <label className="field">
        <span className="field-label">Name</span>
        <input
          name="tenantName"
          required
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            if (!slugTouched) setSlug(slugOf(event.target.value));
          }}
        />
      </label>
      <label className="field">
        <span className="field-label">Slug</span>
        <input
          name="slug"
          required
          pattern="[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
          title="lower-case letters, digits and -"
          value={slug}
          onChange={(event) => {
            setSlugTouched(true);
            setSlug(event.target.value);
          }}
        />
      </label>
      <label className="field">
        <span className="field-label">Time zone</span>
        <input name="timezone" required value={timezone} onChange={(event) => setTimezone(event.target.value)} />
      </label>
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={action.busy}>Create tenant</button>
      </div>
      <FormError error={action.error} />
    </form>
  );
}

function TenantRow({ tenant, onChanged }: { tenant: Tenant; onChanged: () => void }) {
  const action = useAction();
  const suspended = tenant.status === 'suspended';
  const toggle = () =>
    void action.run(() => sendJson<Tenant>('PATCH', `/api/tenants/${encodeURIComponent(tenant.id)}`, { status: suspended ? 'active' : 'suspended' })).then((ok) => ok && onChanged());
  return (
    <li className="account-row" data-tenant-slug={tenant.slug}>
      <div className="account-main">
        <a className="account-title link" href={routeHref({ view: 'tenant', id: tenant.id })}>{tenant.name}</a>
        <span className="muted small mono">{tenant.slug}</span>
      </div>
      <div className="account-facts">
        <span className={`tag ${suspended ? 'tag-bad' : 'tag-good'}`} data-testid="tenant-status">{tenant.status}</span>
        <span className="muted small">{tenant.timezone}</span>
        <span className="muted small">since {formatDateTime(tenant.createdAt)}</span>
      </div>
      <div className="row-actions">
        <a className="button small" href={routeHref({ view: 'tenant', id: tenant.id })}>Rules and numbers</a>
        {tenant.id !== 'default' && (
          <button type="button" className={`button small${suspended ? '' : ' danger'}`} disabled={action.busy} onClick={toggle}>
            {suspended ? 'Reactivate' : 'Suspend'}
          </button>
        )}
      </div>
      <FormError error={action.error} />
    </li>
  );
}

export function TenantsView() {
  const list = useApi<Items<Tenant>>('/api/tenants');
  const tenants = {
    ...list,
    reload: () => {
      list.reload();
      tenantsChanged();
    },
  };
  return (
    <section className="view accounts-view" aria-labelledby="tenants-title">
      <header className="view-head">
        <h1 id="tenants-title">Tenants</h1>
      </header>
      <CreateTenantForm onCreated={tenants.reload} />
      {tenants.error && !tenants.data ? (
        <ErrorNote error={tenants.error} onRetry={tenants.reload} />
      ) : !tenants.data ? (
        <Loading what="tenants" />
      ) : tenants.data.items.length === 0 ? (
        <Empty>No tenants.</Empty>
      ) : (
        <ul className="panel account-list" data-testid="tenant-list">
          {tenants.data.items.map((tenant) => (
            <TenantRow key={`${tenant.id}:${tenant.updatedAt}`} tenant={tenant} onChanged={tenants.reload} />
          ))}
        </ul>
      )}
    </section>
  );
}
