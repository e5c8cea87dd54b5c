// The week of a schedule: per day its opening ranges (add, change, remove) beside a 24-hour bar that shows
// them, ranges past midnight continued on the next day.
import type { WeeklyRange } from '../../api/routing.ts';
import { DAY_NAMES, TIME_PATTERN, endsNextDay, segmentsOf, type Day } from '../../lib/week-grid.ts';

const DAY_MINUTES = 24 * 60;

export function TimeRangeInputs({ label, value, onChange, onRemove }: { label: string; value: { from: string; to: string }; onChange: (value: { from: string; to: string }) => void; onRemove: () => void }) {
  return (
    <span className="time-range">
      <input aria-label={`${label} from`} className="time-input" pattern={TIME_PATTERN} required placeholder="09:00" value={value.from} onChange={(event) => onChange({ ...value, from: event.target.value.trim() })} />
      <span aria-hidden="true">–</span>
      <input aria-label={`${label} to`} className="time-input" pattern={TIME_PATTERN} required placeholder="17:00" value={value.to} onChange={(event) => onChange({ ...value, to: event.target.value.trim() })} />
      {endsNextDay(value) && <span className="tag">ends next day</span>}
      <button type="button" className="button small" aria-label={`Remove ${label}`} onClick={onRemove}>×</button>
    </span>
  );
}

export function WeekGridEditor({ weekly, onChange }: { weekly: WeeklyRange[]; onChange: (weekly: WeeklyRange[]) => void }) {
  const segments = segmentsOf(weekly);
  return (
    <div className="week-grid" data-testid="week-grid">
      <div className="week-hours" aria-hidden="true">
        <span />
        <span className="week-scale">
          {[0, 6, 12, 18, 24].map((hour) => (
            <span key={hour} className="week-hour" style={{ left: `${(hour / 24) * 100}%` }}>{hour}</span>
          ))}
        </span>
      </div>
      {DAY_NAMES.map((dayName, index) => {
        const day = (index + 1) as Day;
        const mine = weekly.map((range, at) => ({ range, at })).filter(({ range }) => range.day === day);
        return (
          <div className="week-day" key={day} data-day={day}>
            <span className="week-day-name">{dayName}</span>
            <span className="week-bar" aria-hidden="true">
              {segments
                .filter((segment) => segment.day === day)
                .map((segment, at) => (
                  <span
                    key={at}
                    className={segment.carried ? 'week-open carried' : 'week-open'}
                    style={{ left: `${(segment.start / DAY_MINUTES) * 100}%`, width: `${((segment.end - segment.start) / DAY_MINUTES) * 100}%` }}
                  />
                ))}
            </span>
            <span className="week-ranges">
              {mine.map(({ range, at }, n) => (
                <TimeRangeInputs
                  key={at}
                  label={`${dayName} range ${n + 1}`}
                  value={range}
                  onChange={(value) => onChange(weekly.map((r, i) => (i === at ? { ...r, ...value } : r)))}
                  onRemove={() => onChange(weekly.filter((_, i) => i !== at))}
                />
              ))}
              <button type="button" className="button small" aria-label={`Add range on ${dayName}`} onClick={() => onChange([...weekly, { day, from: '09:00', to: '17:00' }])}>
                + range
              </button>
            </span>
          </div>
        );
      })}
    </div>
  );
}
