// Small labelled inputs the routing forms share.
import type { ReactNode } from 'react';

export function Field({ label, children, wide }: { label: string; children: ReactNode; wide?: boolean }) {
  return (
    <label className={wide ? 'field field-wide' : 'field'}>
      <span className="field-label">{label}</span>
      {children}
    </label>
  );
}

export function TextInput(props: { label: string; value: string; onChange: (value: string) => void; required?: boolean; placeholder?: string; pattern?: string; name?: string; wide?: boolean; maxLength?: number }) {
  const { label, value, onChange, wide, ...rest } = props;
  return (
    <Field label={label} wide={wide}>
      <input {...rest} value={value} onChange={(event) => onChange(event.target.value)} />
    </Field>
  );
}

export function NumberInput({ label, value, onChange, min, max, name }: { label: string; value: number; onChange: (value: number) => void; min: number; max: number; name?: string }) {
  return (
    <Field label={label}>
      <input type="number" name={name} min={min} max={max} required value={Number.isFinite(value) ? value : ''} onChange={(event) => onChange(event.target.valueAsNumber)} />
    </Field>
  );
}

export function Checkbox({ label, checked, onChange, name }: { label: string; checked: boolean; onChange: (value: boolean) => void; name?: string }) {
  return (
    <label className="check-field">
      <input type="checkbox" name={name} checked={checked} onChange={(event) => onChange(event.target.checked)} />
      <span>{label}</span>
    </label>
  );
}

/** A fieldset spanning the form's width, for destinations and lists. */
export function Group({ legend, children }: { legend: string; children: ReactNode }) {
  return (
    <fieldset className="routing-group">
      <legend>{legend}</legend>
      {children}
    </fieldset>
  );
}

/** A routing object's form: its fields, then save and cancel. */
export function FormShell({ label, busy, submitLabel, onSubmit, onCancel, children }: { label: string; busy: boolean; submitLabel: string; onSubmit: () => void; onCancel: () => void; children: ReactNode }) {
  return (
    <form
      className="form-grid routing-form"
      aria-label={label}
      data-testid="routing-form"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      {children}
      <div className="form-actions">
        <button type="submit" className="button primary small" disabled={busy}>{submitLabel}</button>
        <button type="button" className="button small" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

/** Empty text as null (optional names and numbers). */
export function orNull(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** A prompt as text (synthesized); an uploaded audio prompt is kept until text replaces it. */
export function PromptInput({ label, value, onChange, name }: { label: string; value: string; onChange: (value: string) => void; name?: string }) {
  return (
    <Field label={label} wide>
      <textarea name={name} rows={2} maxLength={1000} value={value} onChange={(event) => onChange(event.target.value)} />
    </Field>
  );
}
