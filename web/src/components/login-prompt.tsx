// Shown when the server answers 401: the key is stored in this browser only.
import { useState } from 'react';
import { saveApiKey } from '../state/api-key.ts';

export function LoginPrompt({ hadKey }: { hadKey: boolean }) {
  const [key, setKey] = useState('');
  return (
    <div className="modal-backdrop">
      <form
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="login-title"
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim() !== '') saveApiKey(key);
        }}
      >
        <h2 id="login-title">API key needed</h2>
        <p className="muted">
          {hadKey ? 'The saved key was not accepted. ' : ''}This engine asks for an API key. It is kept in this
          browser only.
        </p>
        <label className="field">
          <span className="field-label">API key</span>
          <input
            type="password"
            name="apiKey"
            autoComplete="current-password"
            autoFocus
            value={key}
            onChange={(event) => setKey(event.target.value)}
          />
        </label>
        <button type="submit" className="button primary" disabled={key.trim() === ''}>
          Continue
        </button>
      </form>
    </div>
  );
}
