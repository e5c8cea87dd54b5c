// The history filter bar. Controlled by the URL: every change is written back to the hash.
import { useEffect, useState } from 'react';
import { DIRECTIONS, DISPOSITIONS } from '../../../src/domain/call.ts';
import { directionLabel, dispositionLabel } from '../lib/format.ts';
import {
  DEFAULT_FILTERS,
  RANGE_LABELS,
  TIME_RANGES,
  filtersToParams,
  toggleValue,
  type HistoryFilters,
  type TimeRange,
} from '../lib/history-filters.ts';

const NUMBER_DEBOUNCE_MS = 350;

/** Toggle buttons for a multi-valued filter; none pressed means "any". */
function ChipGroup<T extends string>(props: {
  legend: string;
  values: readonly T[];
  selected: readonly T[];
  label: (value: T) => string;
  /** Colour each chip like the state it stands for. */
  tone?: boolean;
  onChange: (next: T[]) => void;
}) {
  return (
    <fieldset className="chips" aria-label={props.legend}>
      <legend className="field-label">{props.legend}</legend>
      {props.values.map((value) => (
        <button
          key={value}
          type="button"
          className={props.tone ? `chip tone-${value}` : 'chip'}
          aria-pressed={props.selected.includes(value)}
          data-filter={value}
          onClick={() => props.onChange(toggleValue(props.selected, value))}
        >
          {props.label(value)}
        </button>
      ))}
    </fieldset>
  );
}

export function HistoryFiltersForm({
  filters,
  onChange,
}: {
  filters: HistoryFilters;
  onChange: (next: HistoryFilters) => void;
}) {
  const [number, setNumber] = useState(filters.number);
  useEffect(() => setNumber(filters.number), [filters.number]);
  useEffect(() => {
    if (number === filters.number) return;
    const timer = setTimeout(() => onChange({ ...filters, number }), NUMBER_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [number, filters, onChange]);

  return (
    <form className="filters" onSubmit={(event) => { event.preventDefault(); onChange({ ...filters, number }); }}>
      <label className="field">
        <span className="field-label">Time</span>
        <select
          name="range"
          value={filters.range}
          onChange={(event) => onChange({ ...filters, range: event.target.value as TimeRange })}
        >
          {TIME_RANGES.map((range) => (
            <option key={range} value={range}>{RANGE_LABELS[range]}</option>
          ))}
        </select>
      </label>
      {filters.range === 'custom' && (
        <>
          <label className="field">
            <span className="field-label">From</span>
            <input type="datetime-local" name="from" value={filters.from} onChange={(event) => onChange({ ...filters, from: event.target.value })} />
          </label>
          <label className="field">
            <span className="field-label">To</span>
            <input type="datetime-local" name="to" value={filters.to} onChange={(event) => onChange({ ...filters, to: event.target.value })} />
          </label>
        </>
      )}
      <label className="field field-grow">
        <span className="field-label">Number</span>
        <input
          type="search"
          name="number"
          inputMode="tel"
          placeholder="Starts with…"
          value={number}
          onChange={(event) => setNumber(event.target.value)}
        />
      </label>
      <ChipGroup
        legend="Direction"
        values={DIRECTIONS}
        selected={filters.directions}
        label={directionLabel}
        onChange={(directions) => onChange({ ...filters, directions })}
      />
      <ChipGroup
        legend="Outcome"
        values={DISPOSITIONS}
        selected={filters.dispositions}
        label={dispositionLabel}
        tone
        onChange={(dispositions) => onChange({ ...filters, dispositions })}
      />
      {filtersToParams(filters).toString() !== '' && (
        <button type="button" className="button small clear-filters" onClick={() => onChange(DEFAULT_FILTERS)}>
          Clear filters
        </button>
      )}
    </form>
  );
}
