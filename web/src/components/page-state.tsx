// Loading, error and empty states, worded for operators rather than developers.
import type { ReactNode } from 'react';
import { ApiError } from '../api/client.ts';

export function Loading({ what }: { what: string }) {
  return (
    <div className="page-state" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function ErrorNote({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  if (error instanceof ApiError && error.status === 401) {
    return <div className="page-state">Log in to see this.</div>;
  }
  const detail = error instanceof ApiError ? `${error.message} (${error.code})` : error.message;
  return (
    <div className="page-state error" role="alert">
      <strong>Could not load this.</strong> {detail}
      {onRetry && (
        <button type="button" className="button small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="page-state empty">{children}</div>;
}
