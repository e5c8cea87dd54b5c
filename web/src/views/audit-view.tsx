// The audit log (audit:read): newest first, a page at a time; each change's before and after one click away.
import { useState } from 'react';
import type { AuditEntry, Session } from '../api/account-types.ts';
import { Empty, ErrorNote, Loading } from '../components/page-state.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useApi } from '../state/use-api.ts';

const PAGE_SIZE = 50;

function show(value: unknown): string {
  return value === null || value === undefined ? '–' : JSON.stringify(value, null, 2);
}

function AuditRow({ entry }: { entry: AuditEntry }) {
  const hasDiff = entry.before !== null || entry.after !== null;
  return (
    <li className="audit-row" data-action={entry.action}>
      <div className="audit-line">
        <span className="mono small audit-at">{formatDateTime(entry.at)}</span>
        <span className="audit-action">{entry.action}</span>
        <span className="muted small">
          by {entry.actor.name} <span className="tag">{entry.actor.kind}</span>
        </span>
        {entry.targetType && (
          <span className="muted small mono audit-target">
            {entry.targetType} {entry.targetId ?? ''}
          </span>
        )}
      </div>
      {hasDiff && (
        <details className="audit-diff">
          <summary>Before and after</summary>
          <div className="diff-grid">
            <div>
              <span className="field-label">Before</span>
              <pre className="mono small">{show(entry.before)}</pre>
            </div>
            <div>
              <span className="field-label">After</span>
              <pre className="mono small">{show(entry.after)}</pre>
            </div>
          </div>
        </details>
      )}
    </li>
  );
}

export function AuditView({ session }: { session: Session }) {
  // One cursor per page seen, so "Newer" goes back without asking the engine for a reverse order.
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor !== null) query.set('cursor', String(cursor));
  const page = useApi<{ items: AuditEntry[]; nextCursor: number | null }>(`/api/audit?${query.toString()}`, { keepPrevious: true });
  return (
    <section className="view accounts-view" aria-labelledby="audit-title">
      <header className="view-head">
        <h1 id="audit-title">Audit log</h1>
        <div className="head-actions">
          <span className="muted">{session.tenant ? session.tenant.name : 'All tenants and the platform'}</span>
          <button type="button" className="button" onClick={page.reload}>Refresh</button>
        </div>
      </header>
      {page.error && !page.data ? (
        <ErrorNote error={page.error} onRetry={page.reload} />
      ) : !page.data ? (
        <Loading what="the audit log" />
      ) : page.data.items.length === 0 ? (
        <Empty>Nothing recorded yet.</Empty>
      ) : (
        <ul className="panel audit-list" data-testid="audit-list">
          {page.data.items.map((entry) => (
            <AuditRow key={entry.id} entry={entry} />
          ))}
        </ul>
      )}
      <div className="pager">
        <button type="button" className="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>
        <button
          type="button"
          className="button"
          disabled={!page.data?.nextCursor}
          onClick={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}
        >
          Older
        </button>
      </div>
    </section>
  );
}
