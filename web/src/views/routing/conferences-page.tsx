// Conference rooms: number, PIN and host PIN (write-only), wait for host, mute on entry, size, join/leave
// announcements, recording.
import { useState } from 'react';
import { Checkbox, Field, FormShell, NumberInput, TextInput, orNull } from '../../components/routing-fields.tsx';
import { ObjectPage, type FormProps } from './object-page.tsx';

function PinField({ label, name, hasPin, value, onChange, remove, onRemove }: { label: string; name: string; hasPin: boolean; value: string; onChange: (value: string) => void; remove: boolean; onRemove: (value: boolean) => void }) {
  return (
    <>
      <Field label={hasPin ? `New ${label.toLowerCase()} (set; empty keeps it)` : `${label} (optional)`}>
        <input type="password" name={name} inputMode="numeric" autoComplete="new-password" pattern="[0-9]{3,12}" value={value} disabled={remove} onChange={(event) => onChange(event.target.value.trim())} />
      </Field>
      {hasPin && <Checkbox label={`Remove the ${label.toLowerCase()}`} checked={remove} onChange={onRemove} />}
    </>
  );
}

function ConferenceForm({ initial, busy, submitLabel, onSubmit, onCancel }: FormProps<'conferences'>) {
  const [name, setName] = useState(initial?.name ?? '');
  const [number, setNumber] = useState(initial?.number ?? '');
  const [pin, setPin] = useState('');
  const [removePin, setRemovePin] = useState(false);
  const [hostPin, setHostPin] = useState('');
  const [removeHostPin, setRemoveHostPin] = useState(false);
  const [waitForHost, setWaitForHost] = useState(initial?.waitForHost ?? false);
  const [muteOnEntry, setMuteOnEntry] = useState(initial?.muteOnEntry ?? false);
  const [maxParticipants, setMaxParticipants] = useState(initial?.maxParticipants ?? 50);
  const [announceJoinLeave, setAnnounce] = useState(initial?.announceJoinLeave ?? false);
  const [record, setRecord] = useState(initial?.record ?? false);
  const pinPart = (key: 'pin' | 'hostPin', value: string, remove: boolean) => (remove ? { [key]: null } : value !== '' ? { [key]: value } : {});
  return (
    <FormShell
      label={initial ? `Conference room ${initial.name}` : 'New conference room'}
      busy={busy}
      submitLabel={submitLabel}
      onCancel={onCancel}
      onSubmit={() =>
        onSubmit({
          name: name.trim(),
          number: orNull(number),
          waitForHost,
          muteOnEntry,
          maxParticipants,
          announceJoinLeave,
          record,
          ...pinPart('pin', pin, removePin),
          ...pinPart('hostPin', hostPin, removeHostPin),
        })
      }
    >
      <TextInput label="Name" name="name" required maxLength={200} value={name} onChange={setName} />
      <TextInput label="Number (optional)" name="number" pattern="[0-9]{2,8}" value={number} onChange={setNumber} />
      <NumberInput label="Most participants" name="maxParticipants" min={2} max={500} value={maxParticipants} onChange={setMaxParticipants} />
      <PinField label="PIN" name="pin" hasPin={initial?.hasPin ?? false} value={pin} onChange={setPin} remove={removePin} onRemove={setRemovePin} />
      <PinField label="Host PIN" name="hostPin" hasPin={initial?.hasHostPin ?? false} value={hostPin} onChange={setHostPin} remove={removeHostPin} onRemove={setRemoveHostPin} />
      <Checkbox label="Wait for the host" name="waitForHost" checked={waitForHost} onChange={setWaitForHost} />
      <Checkbox label="Mute on entry" name="muteOnEntry" checked={muteOnEntry} onChange={setMuteOnEntry} />
      <Checkbox label="Announce joins and leaves" name="announceJoinLeave" checked={announceJoinLeave} onChange={setAnnounce} />
      <Checkbox label="Record" name="record" checked={record} onChange={setRecord} />
    </FormShell>
  );
}

export function ConferencesPage({ canWrite }: { canWrite: boolean }) {
  return (
    <ObjectPage
      kind="conferences"
      title="Conference rooms"
      singular="conference room"
      canWrite={canWrite}
      Form={ConferenceForm}
      facts={(room) => (
        <>
          <span className="muted small">up to {room.maxParticipants}</span>
          <span className="tag">{room.hasPin ? 'PIN set' : 'no PIN'}</span>
          {room.hasHostPin && <span className="tag">host PIN set</span>}
          {room.waitForHost && <span className="muted small">waits for host</span>}
          {room.muteOnEntry && <span className="muted small">muted on entry</span>}
          {room.record && <span className="muted small">recorded</span>}
        </>
      )}
    />
  );
}
