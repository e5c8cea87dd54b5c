// Who is logged in, a password change (the user's other sessions end) and logging out.
import { useState } from 'react';
import type { Session } from '../api/account-types.ts';
import { loginErrorText } from '../lib/accounts.ts';
import { useAction } from '../components/action-state.ts';
import { changePassword, logOut } from '../state/session.ts';

export function AccountView({ session }: { session: Session }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [changed, setChanged] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const action = useAction();
  return (
    <section className="view accounts-view" aria-labelledby="account-title">
      <header className="view-head">
        <h1 id="account-title">Account</h1>
        <button type="button" className="button" onClick={() => void logOut()}>
          {session.kind === 'user' ? 'Log out' : 'Forget key'}
        </button>
      </header>
      <div className="panel">
        <dl className="facts compact">
          <div className="fact"><dt>Name</dt><dd data-testid="account-name">{session.name}</dd></div>
          {session.email && <div className="fact"><dt>E-mail</dt><dd>{session.email}</dd></div>}
          <div className="fact"><dt>Role</dt><dd data-testid="account-role">{session.role}</dd></div>
          <div className="fact"><dt>Tenant</dt><dd>{session.tenant?.name ?? (session.role === 'operator' ? 'All tenants' : '–')}</dd></div>
          {session.extensions.length > 0 && <div className="fact"><dt>Extensions</dt><dd>{session.extensions.join(', ')}</dd></div>}
          <div className="fact"><dt>Signed in with</dt><dd>{session.kind === 'user' ? 'E-mail and password' : 'API key'}</dd></div>
        </dl>
      </div>
      {session.kind === 'user' && (
        <form
          className="panel form-grid"
          aria-labelledby="password-title"
          onSubmit={(event) => {
            event.preventDefault();
            setChanged(false);
            if (next !== repeat) {
              setError('The new passwords differ.');
              return;
            }
            setError(null);
            void action
              .run(() => changePassword(current, next).catch((reason: unknown) => Promise.reject(new Error(loginErrorText(reason)))))
              .then((ok) => {
                if (!ok) return;
                setChanged(true);
                setCurrent('');
                setNext('');
                setRepeat('');
              });
          }}
        >
          <h2 id="password-title" className="form-title">Change password</h2>
          <label className="field">
            <span className="field-label">Current password</span>
            <input type="password" autoComplete="current-password" required value={current} onChange={(event) => setCurrent(event.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">New password</span>
            <input type="password" autoComplete="new-password" required value={next} onChange={(event) => setNext(event.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">New password again</span>
            <input type="password" autoComplete="new-password" required value={repeat} onChange={(event) => setRepeat(event.target.value)} />
          </label>
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={action.busy}>Change password</button>
            {changed && <span className="muted small" role="status">Password changed; your other sessions have ended.</span>}
          </div>
          {(error ?? action.error) && <p className="form-error" role="alert">{error ?? action.error}</p>}
        </form>
      )}
    </section>
  );
}
