// Ring groups: strategy, ordered members (add, remove, move up and down), timeouts, turns, skip busy, fallback.
import { useState } from 'react';
import { RING_STRATEGIES, type Destination, type RingGroupMember, type RingStrategy } from '../../api/routing.ts';
import { DestinationPicker } from '../../components/destination-picker.tsx';
import { Checkbox, Field, FormShell, Group, NumberInput, TextInput, orNull } from '../../components/routing-fields.tsx';
import { describeDestination, objectLabel } from '../../lib/routing-words.ts';
import { useRouting } from '../../state/routing-directory.ts';
import { ObjectPage, type FormProps } from './object-page.tsx';

function move<T>(list: T[], from: number, to: number): T[] {
  if (to < 0 || to >= list.length) return list;
  const next = [...list];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item!);
  return next;
}

function MembersEditor({ members, onChange }: { members: RingGroupMember[]; onChange: (members: RingGroupMember[]) => void }) {
  const { lists } = useRouting();
  const extensions = lists.extensions ?? [];
  const free = extensions.filter((ext) => !members.some((member) => member.extensionId === ext.id));
  const [adding, setAdding] = useState('');
  const nameOf = (id: string) => {
    const ext = extensions.find((candidate) => candidate.id === id);
    return ext ? objectLabel(ext) : id;
  };
  return (
    <Group legend="Members (in ringing order)">
      {members.length === 0 && <p className="muted small">No members yet.</p>}
      <ol className="member-list" data-testid="member-list">
        {members.map((member, index) => (
          <li key={member.extensionId} className="member-row">
            <span className="member-name">{nameOf(member.extensionId)}</span>
            <input
              type="number"
              min={5}
              max={300}
              aria-label={`Timeout of ${nameOf(member.extensionId)} (s)`}
              placeholder="group's"
              value={member.timeoutS ?? ''}
              onChange={(event) => onChange(members.map((m, i) => (i === index ? { ...m, timeoutS: Number.isFinite(event.target.valueAsNumber) ? event.target.valueAsNumber : null } : m)))}
            />
            <button type="button" className="button small" aria-label={`Move ${nameOf(member.extensionId)} up`} disabled={index === 0} onClick={() => onChange(move(members, index, index - 1))}>↑</button>
            <button type="button" className="button small" aria-label={`Move ${nameOf(member.extensionId)} down`} disabled={index === members.length - 1} onClick={() => onChange(move(members, index, index + 1))}>↓</button>
            <button type="button" className="button small danger" aria-label={`Remove ${nameOf(member.extensionId)}`} onClick={() => onChange(members.filter((_, i) => i !== index))}>Remove</button>
          </li>
        ))}
      </ol>
      <div className="picker-line">
        <select aria-label="Extension to add" value={adding} onChange={(event) => setAdding(event.target.value)}>
          <option value="">Choose an extension…</option>
          {free.map((ext) => (
            <option key={ext.id} value={ext.id}>{objectLabel(ext)}</option>
          ))}
        </select>
        <button
          type="button"
          className="button small"
          disabled={adding === ''}
          onClick={() => {
            onChange([...members, { extensionId: adding, timeoutS: null }]);
            setAdding('');
          }}
        >
          Add member
        </button>
      </div>
    </Group>
  );
}

function RingGroupForm({ initial, busy, submitLabel, onSubmit, onCancel }: FormProps<'ring-groups'>) {
  const [name, setName] = useState(initial?.name ?? '');
  const [number, setNumber] = useState(initial?.number ?? '');
  const [strategy, setStrategy] = useState<RingStrategy>(initial?.strategy ?? 'simultaneous');
  const [members, setMembers] = useState<RingGroupMember[]>(initial?.members ?? []);
  const [memberTimeoutS, setMemberTimeoutS] = useState(initial?.memberTimeoutS ?? 20);
  const [turns, setTurns] = useState(initial?.turns ?? 1);
  const [totalTimeoutS, setTotalTimeoutS] = useState(initial?.totalTimeoutS ?? 120);
  const [skipBusy, setSkipBusy] = useState(initial?.skipBusy ?? false);
  const [fallback, setFallback] = useState<Destination | null>(initial?.fallback ?? { type: 'hangup' });
  return (
    <FormShell
      label={initial ? `Ring group ${initial.name}` : 'New ring group'}
      busy={busy}
      submitLabel={submitLabel}
      onCancel={onCancel}
      onSubmit={() =>
        onSubmit({ name: name.trim(), number: orNull(number), strategy, members, memberTimeoutS, turns, totalTimeoutS, skipBusy, fallback: fallback ?? { type: 'hangup' } })
      }
    >
      <TextInput label="Name" name="name" required maxLength={200} value={name} onChange={setName} />
      <TextInput label="Number (optional)" name="number" pattern="[0-9]{2,8}" value={number} onChange={setNumber} />
      <Field label="Strategy">
        <select name="strategy" value={strategy} onChange={(event) => setStrategy(event.target.value as RingStrategy)}>
          {RING_STRATEGIES.map((value) => (
            <option key={value} value={value}>{value}</option>
          ))}
        </select>
      </Field>
      <NumberInput label="Member timeout (s)" name="memberTimeoutS" min={5} max={300} value={memberTimeoutS} onChange={setMemberTimeoutS} />
      <NumberInput label="Turns" name="turns" min={1} max={10} value={turns} onChange={setTurns} />
      <NumberInput label="Total timeout (s)" name="totalTimeoutS" min={5} max={3600} value={totalTimeoutS} onChange={setTotalTimeoutS} />
      <Checkbox label="Skip busy members" name="skipBusy" checked={skipBusy} onChange={setSkipBusy} />
      <MembersEditor members={members} onChange={setMembers} />
      <Group legend="When nobody answers">
        <DestinationPicker label="Fallback" value={fallback} onChange={setFallback} />
      </Group>
    </FormShell>
  );
}

export function RingGroupsPage({ canWrite }: { canWrite: boolean }) {
  const { lists } = useRouting();
  const extName = (id: string) => {
    const ext = (lists.extensions ?? []).find((candidate) => candidate.id === id);
    return ext ? objectLabel(ext) : id;
  };
  return (
    <ObjectPage
      kind="ring-groups"
      title="Ring groups"
      singular="ring group"
      canWrite={canWrite}
      Form={RingGroupForm}
      facts={(group) => (
        <>
          <span className="tag">{group.strategy}</span>
          <span className="muted small">members: {group.members.map((m) => extName(m.extensionId)).join(', ') || 'none'}</span>
          <span className="muted small">fallback → {describeDestination(group.fallback, lists)}</span>
        </>
      )}
    />
  );
}
