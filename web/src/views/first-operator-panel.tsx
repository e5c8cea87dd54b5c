// While the engine is open (no keys, no users: a fresh start on this machine), anyone reaching it acts as
// the operator. This panel offers to create the first operator account; once it exists, login is required.
import { useState } from 'react';
import type { User } from '../api/account-types.ts';
import { sendJson } from '../api/client.ts';
import { useAction } from '../components/action-state.ts';
import { FormError } from '../components/form-error.tsx';
import { loadSession } from '../state/session.ts';

export function FirstOperatorPanel() {
  const [open, setOpen] = useState(false);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  return (
    <div className="panel open-banner" data-testid="open-banner">
      <div className="panel-head">
        <h2>No accounts yet</h2>
        {!open && (
          <button type="button" className="button primary small" onClick={() => setOpen(true)}>
            Create the first operator account
          </button>
        )}
      </div>
      <p className="note">
        Anyone who can reach this engine uses it without logging in. Create an operator account to require a login from
        now on.
      </p>
      {open && (
        <form
          className="form-grid"
          aria-label="First operator account"
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(async () => {
              await sendJson<User>('POST', '/api/users', { email: email.trim(), name: name.trim(), role: 'operator', password });
              // The engine is closed now: asking who we are shows the login page.
              await loadSession();
            });
          }}
        >
          <label className="field">
            <span className="field-label">E-mail</span>
            <input type="email" name="email" autoComplete="username" required value={email} onChange={(event) => setEmail(event.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">Name</span>
            <input name="name" required value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">Password</span>
            <input type="password" name="password" autoComplete="new-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
          </label>
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={action.busy}>
              Create operator
            </button>
            <button type="button" className="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
          <FormError error={action.error} />
        </form>
      )}
    </div>
  );
}
