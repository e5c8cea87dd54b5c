// The tenant's CRM and webhook settings (settings:read to see, settings:write to change). Secrets never come
// back from the engine: each reads as the marker, and sending the marker back keeps the stored secret. Webhooks
// are edited field by field; Bitrix24's settings, a larger object (docs/crm.md), as JSON.
import { useEffect, useState } from 'react';
import type { Session } from '../api/account-types.ts';
import { sendJson } from '../api/client.ts';
import { useAction } from '../components/action-state.ts';
import { FormError } from '../components/form-error.tsx';
import { Empty, ErrorNote, Loading } from '../components/page-state.tsx';
import { formatDateTime } from '../lib/format.ts';
import { can } from '../state/session.ts';
import { useApi } from '../state/use-api.ts';

/** What the engine shows in place of every secret. */
const SECRET_MARKER = '********';
const EVENTS = ['call.created', 'call.answered', 'call.finished', 'call.recorded', 'voicemail.left'] as const;

interface Webhook {
  name: string;
  url: string;
  secret: string;
  events: string[];
  [field: string]: unknown;
}

interface CrmSettingsAnswer {
  tenantId: string;
  inherited: boolean;
  updatedAt: string | null;
  settings: { webhooks: Webhook[]; bitrix24: Record<string, unknown> | null };
  problem: string | null;
}

function WebhookFields({ hook, index, onChange, onRemove, readOnly }: { hook: Webhook; index: number; onChange: (hook: Webhook) => void; onRemove: () => void; readOnly: boolean }) {
  const stored = hook.secret === SECRET_MARKER;
  return (
    <fieldset className="panel form-grid" data-webhook={hook.name || `new-${index}`} disabled={readOnly}>
      <legend className="form-title">Webhook {hook.name || index + 1}</legend>
      <label className="field">
        <span className="field-label">Name</span>
        <input name={`webhook-${index}-name`} required pattern="[A-Za-z0-9_.\-]{1,64}" value={hook.name} onChange={(event) => onChange({ ...hook, name: event.target.value })} />
      </label>
      <label className="field">
        <span className="field-label">URL</span>
        <input name={`webhook-${index}-url`} type="url" required value={hook.url} onChange={(event) => onChange({ ...hook, url: event.target.value })} />
      </label>
      <label className="field">
        <span className="field-label">Secret</span>
        <input
          name={`webhook-${index}-secret`}
          type="password"
          autoComplete="off"
          placeholder={stored ? 'stored; type to replace' : 'at least 16 characters'}
          value={stored ? '' : hook.secret}
          onChange={(event) => onChange({ ...hook, secret: event.target.value === '' && stored ? SECRET_MARKER : event.target.value })}
        />
      </label>
      <div className="field">
        <span className="field-label">Events</span>
        <div className="checks">
          {EVENTS.map((type) => (
            <label key={type} className="check">
              <input
                type="checkbox"
                checked={hook.events.includes(type)}
                onChange={(event) => onChange({ ...hook, events: event.target.checked ? [...hook.events, type] : hook.events.filter((e) => e !== type) })}
              />
              {type}
            </label>
          ))}
        </div>
      </div>
      {!readOnly && (
        <div className="form-actions">
          <button type="button" className="button small" onClick={onRemove}>Remove webhook</button>
        </div>
      )}
    </fieldset>
  );
}

export function CrmSettingsView({ session }: { session: Session }) {
  const inTenant = session.tenantId !== null;
  const answer = useApi<CrmSettingsAnswer>(inTenant ? '/api/settings/crm' : null);
  const [webhooks, setWebhooks] = useState<Webhook[]>([]);
  const [bitrix, setBitrix] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const readOnly = !can(session, 'settings:write');

  useEffect(() => {
    if (!answer.data) return;
    setWebhooks(answer.data.settings.webhooks.map((hook) => ({ ...hook, events: [...(hook.events ?? [])] })));
    setBitrix(answer.data.settings.bitrix24 === null ? '' : JSON.stringify(answer.data.settings.bitrix24, null, 2));
  }, [answer.data]);

  if (!inTenant) {
    return (
      <section className="view accounts-view">
        <h1>CRM settings</h1>
        <Empty>CRM settings belong to a tenant: choose one in the tenant switcher.</Empty>
      </section>
    );
  }
  if (answer.error && !answer.data) return <ErrorNote error={answer.error} onRetry={answer.reload} />;
  if (!answer.data) return <Loading what="CRM settings" />;
  const current = answer.data;

  return (
    <section className="view accounts-view" aria-labelledby="crm-title">
      <header className="view-head">
        <h1 id="crm-title">CRM settings</h1>
        {session.tenant && <span className="muted">{session.tenant.name}</span>}
      </header>
      {current.inherited && <p className="muted" data-testid="crm-inherited">These are the engine's own settings (from its configuration); saving stores them for this tenant.</p>}
      {current.updatedAt && <p className="muted">Saved {formatDateTime(current.updatedAt)}</p>}
      {current.problem && <p className="warning-note" role="alert">{current.problem}</p>}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setSaved(false);
          void action
            .run(async () => {
              let bitrix24: Record<string, unknown> | null = null;
              if (bitrix.trim() !== '') {
                try {
                  bitrix24 = JSON.parse(bitrix) as Record<string, unknown>;
                } catch {
                  throw new Error('Bitrix24 settings are not valid JSON');
                }
              }
              await sendJson<CrmSettingsAnswer>('PUT', '/api/settings/crm', { webhooks, bitrix24 });
              answer.reload();
            })
            .then((ok) => setSaved(ok));
        }}
      >
        <h2>Webhooks</h2>
        {webhooks.length === 0 && <Empty>No webhooks.</Empty>}
        {webhooks.map((hook, index) => (
          <WebhookFields
            key={index}
            hook={hook}
            index={index}
            readOnly={readOnly}
            onChange={(next) => setWebhooks(webhooks.map((h, i) => (i === index ? next : h)))}
            onRemove={() => setWebhooks(webhooks.filter((_, i) => i !== index))}
          />
        ))}
        {!readOnly && (
          <button type="button" className="button small" onClick={() => setWebhooks([...webhooks, { name: '', url: '', secret: '', events: [...EVENTS] }])}>
            Add webhook
          </button>
        )}
        <h2>Bitrix24</h2>
        <label className="field">
          <span className="field-label">Settings as JSON (empty: no Bitrix24). Secrets read as {SECRET_MARKER}; leave them so to keep them.</span>
          <textarea name="bitrix24" className="mono" rows={12} spellCheck={false} readOnly={readOnly} value={bitrix} onChange={(event) => setBitrix(event.target.value)} />
        </label>
        {!readOnly && (
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={action.busy}>Save settings</button>
            {saved && <span role="status" data-testid="crm-saved">Saved.</span>}
          </div>
        )}
        <FormError error={action.error} />
      </form>
    </section>
  );
}
