// The right end of the top bar: the theme switch, an operator's tenant switcher, who is logged in (with role and tenant; a
// link to the account page) and the logout button.
import { useEffect, useState } from 'react';
import type { Items, Session, Tenant } from '../api/account-types.ts';
import { can, logOut, switchTenant } from '../state/session.ts';
import { useApi } from '../state/use-api.ts';
import { errorText } from './action-state.ts';
import { ThemeSwitch } from './theme-switch.tsx';

export const TENANTS_CHANGED = 'callflow:tenants-changed';

/** Tells the tenant switcher to load the list again. */
export function tenantsChanged(): void {
  window.dispatchEvent(new Event(TENANTS_CHANGED));
}

function TenantSwitcher({ session }: { session: Session }) {
  const tenants = useApi<Items<Tenant>>('/api/tenants');
  const { reload } = tenants;
  // A tenant created, renamed or suspended on the tenants page shows up here at once.
  useEffect(() => {
    window.addEventListener(TENANTS_CHANGED, reload);
    return () => window.removeEventListener(TENANTS_CHANGED, reload);
  }, [reload]);
  const [busy, setBusy] = useState(false);
  const value = session.tenantId ?? '';
  const items = tenants.data?.items ?? (session.tenant ? [session.tenant] : []);
  return (
    <select
      className="tenant-switcher"
      aria-label="Tenant"
      data-testid="tenant-switcher"
      value={value}
      disabled={busy}
      onChange={(event) => {
        setBusy(true);
        switchTenant(event.target.value === '' ? null : event.target.value)
          .catch((error: unknown) => alert(`Could not switch tenant: ${errorText(error)}`))
          .finally(() => setBusy(false));
      }}
    >
      <option value="">All tenants</option>
      {items.map((tenant) => (
        <option key={tenant.id} value={tenant.id}>
          {tenant.name}
          {tenant.status === 'suspended' ? ' (suspended)' : ''}
        </option>
      ))}
    </select>
  );
}

export function AccountBar({ session }: { session: Session }) {
  // Only a login session has a tenant to switch (keys name one per request); the open engine has no login.
  const switcher = session.kind === 'user' && can(session, 'tenants:manage');
  const where = session.tenant?.name ?? (session.role === 'operator' ? 'All tenants' : null);
  return (
    <div className="account-bar">
      <ThemeSwitch />
      {switcher && <TenantSwitcher session={session} />}
      {!session.open && (
        <a className="account-chip" href="#/account" data-testid="account-chip" title={session.email ?? session.name}>
          <span className="account-name">{session.name}</span>
          <span className="account-role">
            {session.role}
            {where && !switcher ? ` · ${where}` : ''}
          </span>
        </a>
      )}
      {!session.open && (
        <button type="button" className="button ghost small signout" onClick={() => void logOut()} data-testid="logout">
          {session.kind === 'user' ? 'Log out' : 'Forget key'}
        </button>
      )}
    </div>
  );
}
