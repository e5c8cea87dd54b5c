// Where a call goes: a type, then the object of that type (or an outside number). Used for numbers, forward
// rules, fallbacks, IVR options and failovers, schedule branches and announcements.
import { DESTINATION_TYPES, type Destination, type DestinationType } from '../api/routing.ts';
import { OBJECT_KIND, TYPE_LABEL, objectLabel } from '../lib/routing-words.ts';
import { useRouting } from '../state/routing-directory.ts';

interface Props {
  /** Names the picker's controls: "<label> type", "<label> target", "<label> number". */
  label: string;
  value: Destination | null;
  onChange: (value: Destination | null) => void;
  /** Words for "no destination" (not routed, no forward); without it a destination is required. */
  noneLabel?: string;
  disabled?: boolean;
}

export function DestinationPicker({ label, value, onChange, noneLabel, disabled }: Props) {
  const { lists } = useRouting();
  // AI agents are not built yet: offered only to keep a destination that already names one.
  const types = DESTINATION_TYPES.filter((type) => type !== 'ai-agent' || value?.type === 'ai-agent');
  const choose = (type: DestinationType | '') => {
    if (type === '') return onChange(null);
    if (type === 'hangup') return onChange({ type });
    if (type === 'external') return onChange({ type, number: '' });
    const kind = OBJECT_KIND[type];
    const first = kind ? (lists[kind] ?? [])[0] : undefined;
    onChange({ type, id: first?.id ?? '' } as Destination);
  };
  const kind = value ? OBJECT_KIND[value.type] : undefined;
  const objects = kind ? ((lists[kind] ?? []) as { id: string; name: string; number?: string | null }[]) : [];
  return (
    <span className="destination-picker" role="group" aria-label={label}>
      <select aria-label={`${label} type`} value={value?.type ?? ''} disabled={disabled} onChange={(event) => choose(event.target.value as DestinationType | '')}>
        {noneLabel !== undefined && <option value="">{noneLabel}</option>}
        {noneLabel === undefined && value === null && <option value="">Choose…</option>}
        {types.map((type) => (
          <option key={type} value={type}>{TYPE_LABEL[type]}</option>
        ))}
      </select>
      {value && kind && (
        <select
          aria-label={`${label} target`}
          value={'id' in value ? value.id : ''}
          disabled={disabled}
          onChange={(event) => onChange({ type: value.type, id: event.target.value } as Destination)}
        >
          {objects.length === 0 && <option value="">(none yet)</option>}
          {'id' in value && value.id !== '' && !objects.some((object) => object.id === value.id) && <option value={value.id}>{value.id}</option>}
          {objects.map((object) => (
            <option key={object.id} value={object.id}>{objectLabel(object)}</option>
          ))}
        </select>
      )}
      {value?.type === 'external' && (
        <input
          aria-label={`${label} number`}
          inputMode="tel"
          placeholder="+4930123456"
          pattern="\+?[0-9]{3,15}"
          required
          value={value.number}
          disabled={disabled}
          onChange={(event) => onChange({ type: 'external', number: event.target.value.trim() })}
        />
      )}
      {value?.type === 'ai-agent' && <span className="muted small">AI agent {value.id} (not available yet)</span>}
    </span>
  );
}
