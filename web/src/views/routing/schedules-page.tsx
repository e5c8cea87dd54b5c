// Schedules: the week grid, the time zone (empty: the tenant's), dated exceptions (closed, or their own
// hours) and where calls go while open and while closed.
import { useState } from 'react';
import type { Destination, ScheduleException, WeeklyRange } from '../../api/routing.ts';
import { DestinationPicker } from '../../components/destination-picker.tsx';
import { FormShell, Group, TextInput, orNull } from '../../components/routing-fields.tsx';
import { describeDestination } from '../../lib/routing-words.ts';
import { DAY_NAMES } from '../../lib/week-grid.ts';
import { useRouting } from '../../state/routing-directory.ts';
import { ObjectPage, type FormProps } from './object-page.tsx';
import { TimeRangeInputs, WeekGridEditor } from './week-grid-editor.tsx';

function ExceptionsEditor({ exceptions, onChange }: { exceptions: ScheduleException[]; onChange: (exceptions: ScheduleException[]) => void }) {
  const set = (index: number, patch: Partial<ScheduleException>) => onChange(exceptions.map((e, i) => (i === index ? { ...e, ...patch } : e)));
  return (
    <Group legend="Dated exceptions">
      {exceptions.length === 0 && <p className="muted small">None: every date follows the week.</p>}
      {exceptions.map((exception, index) => {
        const label = `Exception ${index + 1}`;
        return (
          <div className="exception-row" key={index} role="group" aria-label={label}>
            <input type="date" aria-label={`${label} date`} required value={exception.date} onChange={(event) => set(index, { date: event.target.value })} />
            <input aria-label={`${label} name`} placeholder="Christmas" maxLength={200} value={exception.name} onChange={(event) => set(index, { name: event.target.value })} />
            <label className="check-field">
              <input type="checkbox" aria-label={`${label} closed all day`} checked={exception.closed} onChange={(event) => set(index, { closed: event.target.checked, ranges: event.target.checked ? [] : exception.ranges })} />
              <span>closed all day</span>
            </label>
            {!exception.closed && (
              <span className="week-ranges">
                {exception.ranges.map((range, at) => (
                  <TimeRangeInputs
                    key={at}
                    label={`${label} range ${at + 1}`}
                    value={range}
                    onChange={(value) => set(index, { ranges: exception.ranges.map((r, i) => (i === at ? value : r)) })}
                    onRemove={() => set(index, { ranges: exception.ranges.filter((_, i) => i !== at) })}
                  />
                ))}
                <button type="button" className="button small" aria-label={`Add hours to ${label}`} onClick={() => set(index, { ranges: [...exception.ranges, { from: '10:00', to: '14:00' }] })}>
                  + hours
                </button>
              </span>
            )}
            <button type="button" className="button small danger" aria-label={`Remove ${label}`} onClick={() => onChange(exceptions.filter((_, i) => i !== index))}>Remove</button>
          </div>
        );
      })}
      <button type="button" className="button small" onClick={() => onChange([...exceptions, { date: '', name: '', closed: true, ranges: [] }])}>Add exception</button>
    </Group>
  );
}

function makeForm(tenantZone: string) {
  return function ScheduleForm({ initial, busy, submitLabel, onSubmit, onCancel }: FormProps<'schedules'>) {
    const [name, setName] = useState(initial?.name ?? '');
    const [timezone, setTimezone] = useState(initial?.timezone ?? '');
    const [weekly, setWeekly] = useState<WeeklyRange[]>(initial?.weekly ?? []);
    const [exceptions, setExceptions] = useState<ScheduleException[]>(initial?.exceptions ?? []);
    const [open, setOpen] = useState<Destination | null>(initial?.open ?? null);
    const [closed, setClosed] = useState<Destination | null>(initial?.closed ?? { type: 'hangup' });
    return (
      <FormShell
        label={initial ? `Schedule ${initial.name}` : 'New schedule'}
        busy={busy}
        submitLabel={submitLabel}
        onCancel={onCancel}
        onSubmit={() =>
          onSubmit({
            name: name.trim(),
            timezone: orNull(timezone),
            weekly,
            exceptions: exceptions.map((e) => ({ ...e, name: e.name.trim(), ranges: e.closed ? [] : e.ranges })),
            // A missing destination is sent as none: the engine's 422 names the field.
            open: open ?? (null as unknown as Destination),
            closed: closed ?? (null as unknown as Destination),
          })
        }
      >
        <TextInput label="Name" name="name" required maxLength={200} value={name} onChange={setName} />
        <TextInput label="Time zone (empty: the tenant's)" name="timezone" placeholder={tenantZone} maxLength={64} value={timezone} onChange={setTimezone} />
        <Group legend="Open hours (a range ending at or before its start ends the next day)">
          <WeekGridEditor weekly={weekly} onChange={setWeekly} />
        </Group>
        <ExceptionsEditor exceptions={exceptions} onChange={setExceptions} />
        <Group legend="Where calls go">
          <div className="picker-line">
            <span className="field-label">While open</span>
            <DestinationPicker label="While open" value={open} onChange={setOpen} />
          </div>
          <div className="picker-line">
            <span className="field-label">While closed</span>
            <DestinationPicker label="While closed" value={closed} onChange={setClosed} />
          </div>
        </Group>
      </FormShell>
    );
  };
}

function weekWords(weekly: WeeklyRange[]): string {
  if (weekly.length === 0) return 'never open by the week';
  return weekly.map((range) => `${DAY_NAMES[range.day - 1]!.slice(0, 3)} ${range.from}–${range.to}`).join(', ');
}

export function SchedulesPage({ canWrite, tenantZone }: { canWrite: boolean; tenantZone: string }) {
  const { lists } = useRouting();
  const [Form] = useState(() => makeForm(tenantZone));
  return (
    <ObjectPage
      kind="schedules"
      title="Schedules"
      singular="schedule"
      canWrite={canWrite}
      Form={Form}
      facts={(schedule) => (
        <>
          <span className="muted small">{schedule.timezone ?? `${tenantZone} (tenant's)`}</span>
          <span className="muted small" data-testid="schedule-week">{weekWords(schedule.weekly)}</span>
          {schedule.exceptions.map((e) => (
            <span key={e.date} className="tag">{e.date} {e.name} {e.closed ? 'closed' : e.ranges.map((r) => `${r.from}–${r.to}`).join(', ')}</span>
          ))}
          <span className="muted small">open → {describeDestination(schedule.open, lists)}</span>
          <span className="muted small">closed → {describeDestination(schedule.closed, lists)}</span>
        </>
      )}
    />
  );
}
