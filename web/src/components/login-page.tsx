// Shown instead of the dashboard when the engine answers 401: e-mail and password first, an API key as the
// alternative (kept in this browser only, as before accounts existed).
import { useState } from 'react';
import { loginErrorText } from '../lib/accounts.ts';
import { saveApiKey } from '../state/api-key.ts';
import { logIn } from '../state/session.ts';

function PasswordLogin({ onUseKey }: { onUseKey: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="login-card"
      aria-labelledby="login-title"
      data-testid="login-form"
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        setError(null);
        logIn(email.trim(), password).then(
          () => setBusy(false),
          (reason: unknown) => {
            setBusy(false);
            setError(loginErrorText(reason));
          },
        );
      }}
    >
      <h1 id="login-title">Log in to Callflow</h1>
      <label className="field">
        <span className="field-label">E-mail</span>
        <input type="email" name="email" autoComplete="username" autoFocus required value={email} onChange={(event) => setEmail(event.target.value)} />
      </label>
      <label className="field">
        <span className="field-label">Password</span>
        <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
      </label>
      {error && (
        <p className="form-error" role="alert" data-testid="login-error">
          {error}
        </p>
      )}
      <button type="submit" className="button primary" disabled={busy || email.trim() === '' || password === ''}>
        {busy ? 'Logging in…' : 'Log in'}
      </button>
      <button type="button" className="link-button" onClick={onUseKey}>
        Use an API key instead
      </button>
    </form>
  );
}

function KeyLogin({ hadKey, onUsePassword }: { hadKey: boolean; onUsePassword: () => void }) {
  const [key, setKey] = useState('');
  return (
    <form
      className="login-card"
      aria-labelledby="key-title"
      data-testid="key-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (key.trim() !== '') saveApiKey(key);
      }}
    >
      <h1 id="key-title">API key</h1>
      <p className="muted">
        {hadKey ? 'The saved key was not accepted. ' : ''}The key is kept in this browser only.
      </p>
      <label className="field">
        <span className="field-label">API key</span>
        <input type="password" name="apiKey" autoComplete="current-password" autoFocus value={key} onChange={(event) => setKey(event.target.value)} />
      </label>
      <button type="submit" className="button primary" disabled={key.trim() === ''}>
        Continue
      </button>
      <button type="button" className="link-button" onClick={onUsePassword}>
        Log in with e-mail and password
      </button>
    </form>
  );
}

export function LoginPage({ hadKey }: { hadKey: boolean }) {
  // Someone whose saved key was refused sees the key form again first.
  const [useKey, setUseKey] = useState(hadKey);
  return (
    <main className="login-page">
      <div className="login-brand">
        <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
          <path d="M3 12h4l2-5 4 10 2-5h6" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        Callflow
      </div>
      {useKey ? <KeyLogin hadKey={hadKey} onUsePassword={() => setUseKey(false)} /> : <PasswordLogin onUseKey={() => setUseKey(true)} />}
    </main>
  );
}
