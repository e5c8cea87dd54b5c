// Extensions: number, name, caller id name, ring timeout, voicemail box, forward rules, enabled. A SIP
// password in the creation's answer is shown once.
import { useState } from 'react';
import { FORWARD_CONDITIONS, type CreatedExtension, type Destination, type Extension, type ForwardCondition } from '../../api/routing.ts';
import { DestinationPicker } from '../../components/destination-picker.tsx';
import { Checkbox, Field, FormShell, Group, NumberInput, TextInput, orNull } from '../../components/routing-fields.tsx';
import { describeDestination, objectLabel } from '../../lib/routing-words.ts';
import { useRouting } from '../../state/routing-directory.ts';
import { ObjectPage, type FormProps } from './object-page.tsx';

const FORWARD_LABEL: Record<ForwardCondition, string> = {
  always: 'Always',
  busy: 'When busy',
  noAnswer: 'When not answered',
  unreachable: 'When unreachable',
};

function ExtensionForm({ initial, busy, submitLabel, onSubmit, onCancel }: FormProps<'extensions'>) {
  const { lists } = useRouting();
  const [number, setNumber] = useState(initial?.number ?? '');
  const [name, setName] = useState(initial?.name ?? '');
  const [callerIdName, setCallerIdName] = useState(initial?.callerIdName ?? '');
  const [ringTimeoutS, setRingTimeoutS] = useState(initial?.ringTimeoutS ?? 20);
  const [voicemailBoxId, setVoicemailBoxId] = useState(initial?.voicemailBoxId ?? '');
  const [forward, setForward] = useState<Extension['forward']>(initial?.forward ?? {});
  const [record, setRecord] = useState(initial?.record ?? false);
  const [enabled, setEnabled] = useState(initial?.enabled ?? true);
  const setRule = (condition: ForwardCondition, value: Destination | null) => {
    const next = { ...forward };
    if (value === null) delete next[condition];
    else next[condition] = value;
    setForward(next);
  };
  return (
    <FormShell
      label={initial ? `Extension ${initial.number}` : 'New extension'}
      busy={busy}
      submitLabel={submitLabel}
      onCancel={onCancel}
      onSubmit={() =>
        onSubmit({ number: number.trim(), name: name.trim(), callerIdName: orNull(callerIdName), ringTimeoutS, voicemailBoxId: orNull(voicemailBoxId), forward, record, enabled })
      }
    >
      <TextInput label="Number" name="number" required pattern="[0-9]{2,8}" placeholder="201" value={number} onChange={setNumber} />
      <TextInput label="Name" name="name" required maxLength={200} value={name} onChange={setName} />
      <TextInput label="Caller ID name" name="callerIdName" maxLength={100} value={callerIdName} onChange={setCallerIdName} />
      <NumberInput label="Ring timeout (s)" name="ringTimeoutS" min={5} max={300} value={ringTimeoutS} onChange={setRingTimeoutS} />
      <Field label="Voicemail box">
        <select name="voicemailBoxId" value={voicemailBoxId} onChange={(event) => setVoicemailBoxId(event.target.value)}>
          <option value="">None</option>
          {(lists['voicemail-boxes'] ?? []).map((box) => (
            <option key={box.id} value={box.id}>{objectLabel(box)}</option>
          ))}
        </select>
      </Field>
      <Group legend="Forwarding">
        {FORWARD_CONDITIONS.map((condition) => (
          <div className="picker-line" key={condition}>
            <span className="field-label">{FORWARD_LABEL[condition]}</span>
            <DestinationPicker label={`Forward ${FORWARD_LABEL[condition].toLowerCase()}`} noneLabel="No forward" value={forward[condition] ?? null} onChange={(value) => setRule(condition, value)} />
          </div>
        ))}
      </Group>
      <Checkbox label="Record calls" name="record" checked={record} onChange={setRecord} />
      <Checkbox label="Enabled" name="enabled" checked={enabled} onChange={setEnabled} />
    </FormShell>
  );
}

function SipPassword({ created, onDone }: { created: CreatedExtension & { sipPassword: string }; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="panel new-key" role="status" data-testid="sip-password">
      <h3>SIP password of extension {created.number}</h3>
      <p className="warning-note">Copy it now: it will not be shown again.</p>
      <div className="key-line">
        <code className="mono key-value" data-testid="sip-password-value">{created.sipPassword}</code>
        <button type="button" className="button small" onClick={() => navigator.clipboard?.writeText(created.sipPassword).then(() => setCopied(true), () => setCopied(false))}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="muted small">Endpoint (user name): <code className="mono">{created.endpoint}</code></p>
      <button type="button" className="button small" onClick={onDone}>I have stored it</button>
    </div>
  );
}

export function ExtensionsPage({ canWrite }: { canWrite: boolean }) {
  const { lists } = useRouting();
  const [created, setCreated] = useState<(CreatedExtension & { sipPassword: string }) | null>(null);
  return (
    <ObjectPage
      kind="extensions"
      title="Extensions"
      singular="extension"
      canWrite={canWrite}
      Form={ExtensionForm}
      onCreated={(item) => {
        const made = item as CreatedExtension;
        if (typeof made.sipPassword === 'string') setCreated({ ...made, sipPassword: made.sipPassword });
      }}
      facts={(ext) => (
        <>
          {!ext.enabled && <span className="tag tag-bad">disabled</span>}
          <span className="muted small">ring {ext.ringTimeoutS} s</span>
          {ext.voicemailBoxId && <span className="muted small">voicemail: {describeDestination({ type: 'voicemail', id: ext.voicemailBoxId }, lists)}</span>}
          {Object.entries(ext.forward).map(([condition, destination]) => (
            <span key={condition} className="muted small">
              {FORWARD_LABEL[condition as ForwardCondition].toLowerCase()} → {describeDestination(destination, lists)}
            </span>
          ))}
          <span className="muted small mono">{ext.endpoint}</span>
        </>
      )}
    >
      {created && <SipPassword created={created} onDone={() => setCreated(null)} />}
    </ObjectPage>
  );
}
