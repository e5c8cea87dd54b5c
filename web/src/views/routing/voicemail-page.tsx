// Voicemail boxes (number, name, greeting, longest message, PIN: write-only, "PIN set") and each box's inbox:
// caller, length, date, heard, delete, and playback from the engine's audio route.
import { useState } from 'react';
import type { Items } from '../../api/account-types.ts';
import { routingApi, type VoicemailBoxView, type VoicemailMessage } from '../../api/routing.ts';
import { Checkbox, Field, FormShell, NumberInput, PromptInput, TextInput } from '../../components/routing-fields.tsx';
import { ErrorNote, Loading } from '../../components/page-state.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { promptFrom, promptText } from '../../lib/routing-prompt.ts';
import { useApi } from '../../state/use-api.ts';
import { ObjectPage, type FormProps } from './object-page.tsx';
import { RoutingError, useRoutingAction } from './routing-action.tsx';

function VoicemailBoxForm({ initial, busy, submitLabel, onSubmit, onCancel }: FormProps<'voicemail-boxes'>) {
  const [number, setNumber] = useState(initial?.number ?? '');
  const [name, setName] = useState(initial?.name ?? '');
  const [greeting, setGreeting] = useState(promptText(initial?.greeting));
  const [maxMessageS, setMaxMessageS] = useState(initial?.maxMessageS ?? 120);
  const [pin, setPin] = useState('');
  const [removePin, setRemovePin] = useState(false);
  return (
    <FormShell
      label={initial ? `Voicemail box ${initial.number}` : 'New voicemail box'}
      busy={busy}
      submitLabel={submitLabel}
      onCancel={onCancel}
      onSubmit={() =>
        onSubmit({
          number: number.trim(),
          name: name.trim(),
          greeting: promptFrom(greeting, initial?.greeting),
          maxMessageS,
          // Left out: the stored PIN stays; null removes it.
          ...(removePin ? { pin: null } : pin !== '' ? { pin } : {}),
        })
      }
    >
      <TextInput label="Number" name="number" required pattern="[0-9]{2,8}" placeholder="201" value={number} onChange={setNumber} />
      <TextInput label="Name" name="name" required maxLength={200} value={name} onChange={setName} />
      <NumberInput label="Longest message (s)" name="maxMessageS" min={10} max={600} value={maxMessageS} onChange={setMaxMessageS} />
      <Field label={initial?.hasPin ? 'New PIN (PIN set; empty keeps it)' : 'PIN (optional)'}>
        <input type="password" name="pin" inputMode="numeric" autoComplete="new-password" pattern="[0-9]{3,12}" value={pin} disabled={removePin} onChange={(event) => setPin(event.target.value.trim())} />
      </Field>
      {initial?.hasPin && <Checkbox label="Remove the PIN" name="removePin" checked={removePin} onChange={setRemovePin} />}
      <PromptInput label="Greeting (optional; empty: the standard one)" name="greeting" value={greeting} onChange={setGreeting} />
    </FormShell>
  );
}

function MessageRow({ box, message, canWrite, onChanged }: { box: VoicemailBoxView; message: VoicemailMessage; canWrite: boolean; onChanged: () => void }) {
  const action = useRoutingAction();
  return (
    <li className="message-row" data-message-id={message.id}>
      <span className={message.heard ? 'muted' : 'message-new'}>{message.from ?? 'unknown caller'}</span>
      <span className="muted small">{message.durationS} s</span>
      <span className="muted small">{formatDateTime(message.createdAt)}</span>
      <audio controls preload="none" src={routingApi.audioUrl(box.id, message.id)} aria-label={`Message from ${message.from ?? 'unknown caller'}`} />
      {canWrite ? (
        <>
          <Checkbox label="heard" checked={message.heard} onChange={(heard) => void action.run(() => routingApi.markHeard(box.id, message.id, heard)).then((ok) => ok && onChanged())} />
          <button type="button" className="button small danger" disabled={action.busy} onClick={() => void action.run(() => routingApi.deleteMessage(box.id, message.id)).then((ok) => ok && onChanged())}>
            Delete
          </button>
        </>
      ) : (
        <span className="muted small">{message.heard ? 'heard' : 'new'}</span>
      )}
      <RoutingError error={action.error} />
    </li>
  );
}

function Inbox({ box, canWrite }: { box: VoicemailBoxView; canWrite: boolean }) {
  const messages = useApi<Items<VoicemailMessage>>(routingApi.messagesPath(box.id));
  return (
    <div className="inbox" data-testid="voicemail-inbox">
      {messages.error && !messages.data ? (
        <ErrorNote error={messages.error} onRetry={messages.reload} />
      ) : !messages.data ? (
        <Loading what="messages" />
      ) : messages.data.items.length === 0 ? (
        <p className="muted small">No messages.</p>
      ) : (
        <ul className="message-list">
          {messages.data.items.map((message) => (
            <MessageRow key={`${message.id}:${String(message.heard)}`} box={box} message={message} canWrite={canWrite} onChanged={messages.reload} />
          ))}
        </ul>
      )}
    </div>
  );
}

function BoxExtra({ box, canWrite }: { box: VoicemailBoxView; canWrite: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="box-extra">
      <button type="button" className="button small" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide inbox' : 'Inbox'}
      </button>
      {open && <Inbox box={box} canWrite={canWrite} />}
    </div>
  );
}

export function VoicemailPage({ canWrite }: { canWrite: boolean }) {
  return (
    <ObjectPage
      kind="voicemail-boxes"
      title="Voicemail boxes"
      singular="voicemail box"
      canWrite={canWrite}
      Form={VoicemailBoxForm}
      facts={(box) => (
        <>
          <span className="muted small">messages up to {box.maxMessageS} s</span>
          <span className="tag">{box.hasPin ? 'PIN set' : 'no PIN'}</span>
          {box.greeting && <span className="muted small">own greeting</span>}
        </>
      )}
      extra={(box) => <BoxExtra box={box} canWrite={canWrite} />}
    />
  );
}
