// The tenant's users (users:manage); for an operator acting in no tenant, the platform's operators.
import { useState } from 'react';
import { TENANT_ROLES, type Items, type Role, type Session, type User } from '../api/account-types.ts';
import { sendJson } from '../api/client.ts';
import { useAction } from '../components/action-state.ts';
import { FormError } from '../components/form-error.tsx';
import { Empty, ErrorNote, Loading } from '../components/page-state.tsx';
import { parseList } from '../lib/accounts.ts';
import { formatDateTime } from '../lib/format.ts';
import { useApi } from '../state/use-api.ts';

/** The roles this session may give: operators in no tenant make operators; an admin makes no owners. */
function grantable(session: Session): Role[] {
  if (session.tenantId === null) return ['operator'];
  return TENANT_ROLES.filter((role) => session.role !== 'admin' || role !== 'owner');
}

function CreateUserForm({ roles, onCreated }: { roles: Role[]; onCreated: () => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(roles.includes('agent') ? 'agent' : roles[0]!);
  const [extensions, setExtensions] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  return (
    <form
      className="panel form-grid"
      aria-labelledby="new-user-title"
      data-testid="create-user"
      onSubmit={(event) => {
        event.preventDefault();
        void action
          .run(() => sendJson<User>('POST', '/api/users', { email: email.trim(), name: name.trim(), role, extensions: parseList(extensions), password }))
          .then((ok) => {
            if (!ok) return;
            setEmail('');
            setName('');
            setExtensions('');
            setPassword('');
            onCreated();
          });
      }}
    >
      <h2 id="new-user-title" className="form-title">New user</h2>
      <label className="field">
        <span className="field-label">E-mail</span>
        <input type="email" name="email" autoComplete="off" required value={email} onChange={(event) => setEmail(event.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">Name</span>
        <input name="name" required value={name} onChange={(event) => setName(event.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">Role</span>
        <select name="role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
          {roles.map((value) => (
            <option key={value} value={value}>{value}</option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Extensions</span>
        <input name="extensions" placeholder="201, 202" value={extensions} onChange={(event) => setExtensions(event.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">Password</span>
        <input type="password" name="password" autoComplete="new-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
      </label>
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={action.busy}>Create user</button>
      </div>
      <FormError error={action.error} testId="create-user-error" />
    </form>
  );
}

type Mode = 'view' | 'edit' | 'password' | 'delete';

function UserRow({ user, roles, self, onChanged }: { user: User; roles: Role[]; self: boolean; onChanged: () => void }) {
  const [mode, setMode] = useState<Mode>('view');
  const [role, setRole] = useState<Role>(user.role);
  const [extensions, setExtensions] = useState(user.extensions.join(', '));
  const [status, setStatus] = useState(user.status);
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const path = `/api/users/${encodeURIComponent(user.id)}`;
  const finish = (message: string | null) => (ok: boolean) => {
    if (!ok) return;
    setMode('view');
    setPassword('');
    setDone(message);
    onChanged();
  };
  return (
    <li className="account-row" data-user-email={user.email}>
      <div className="account-main">
        <span className="account-title">{user.name}</span>
        <span className="muted small">{user.email}</span>
      </div>
      <div className="account-facts">
        <span className="tag">{user.role}</span>
        {user.status === 'disabled' && <span className="tag tag-bad">disabled</span>}
        {user.extensions.length > 0 && <span className="muted small">ext. {user.extensions.join(', ')}</span>}
        <span className="muted small">since {formatDateTime(user.createdAt)}</span>
      </div>
      {mode === 'view' && !self && (
        <div className="row-actions">
          <button type="button" className="button small" onClick={() => { setDone(null); setMode('edit'); }}>Edit</button>
          <button type="button" className="button small" onClick={() => { setDone(null); setMode('password'); }}>Reset password</button>
          <button type="button" className="button small danger" onClick={() => { setDone(null); setMode('delete'); }}>Delete</button>
        </div>
      )}
      {self && <span className="muted small">you</span>}
      {done && <span className="muted small" role="status">{done}</span>}
      {mode === 'edit' && (
        <form
          className="inline-form"
          aria-label={`Edit ${user.email}`}
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(() => sendJson<User>('PATCH', path, { role, extensions: parseList(extensions), status })).then(finish('Saved.'));
          }}
        >
          <label className="field">
            <span className="field-label">Role</span>
            <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
              {(roles.includes(user.role) ? roles : [user.role, ...roles]).map((value) => (
                <option key={value} value={value}>{value}</option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Extensions</span>
            <input value={extensions} onChange={(event) => setExtensions(event.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">Status</span>
            <select value={status} onChange={(event) => setStatus(event.target.value as User['status'])}>
              <option value="active">active</option>
              <option value="disabled">disabled</option>
            </select>
          </label>
          <div className="form-actions">
            <button type="submit" className="button primary small" disabled={action.busy}>Save</button>
            <button type="button" className="button small" onClick={() => setMode('view')}>Cancel</button>
          </div>
        </form>
      )}
      {mode === 'password' && (
        <form
          className="inline-form"
          aria-label={`New password for ${user.email}`}
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(() => sendJson<null>('POST', `${path}/password`, { password })).then(finish('Password set; the user’s sessions ended.'));
          }}
        >
          <label className="field">
            <span className="field-label">New password</span>
            <input type="password" autoComplete="new-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
          </label>
          <div className="form-actions">
            <button type="submit" className="button primary small" disabled={action.busy}>Set password</button>
            <button type="button" className="button small" onClick={() => setMode('view')}>Cancel</button>
          </div>
        </form>
      )}
      {mode === 'delete' && (
        <div className="inline-form confirm" role="group" aria-label={`Delete ${user.email}`}>
          <span>Delete {user.email}? This cannot be undone.</span>
          <div className="form-actions">
            <button type="button" className="button small danger" disabled={action.busy} onClick={() => void action.run(() => sendJson<null>('DELETE', path)).then(finish(null))}>
              Yes, delete
            </button>
            <button type="button" className="button small" onClick={() => setMode('view')}>Keep</button>
          </div>
        </div>
      )}
      <FormError error={action.error} />
    </li>
  );
}

export function UsersView({ session }: { session: Session }) {
  const users = useApi<Items<User>>('/api/users');
  const roles = grantable(session);
  const scope = session.tenant ? session.tenant.name : 'platform operators';
  return (
    <section className="view accounts-view" aria-labelledby="users-title">
      <header className="view-head">
        <h1 id="users-title">Users</h1>
        <span className="muted">{scope}</span>
      </header>
      <CreateUserForm key={session.tenantId ?? ''} roles={roles} onCreated={users.reload} />
      {users.error && !users.data ? (
        <ErrorNote error={users.error} onRetry={users.reload} />
      ) : !users.data ? (
        <Loading what="users" />
      ) : users.data.items.length === 0 ? (
        <Empty>No users yet.</Empty>
      ) : (
        <ul className="panel account-list" data-testid="user-list">
          {users.data.items.map((user) => (
            <UserRow key={`${user.id}:${user.updatedAt}`} user={user} roles={roles} self={user.id === session.userId} onChanged={users.reload} />
          ))}
        </ul>
      )}
    </section>
  );
}
