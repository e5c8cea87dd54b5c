// What every benchmark reports: figures, each with the baseline measured in the same run and their ratio.

export interface Target {
  /** What the target applies to: the figure itself or its ratio to the baseline. */
  of: 'value' | 'ratio';
  op: '>=' | '<=' | '==';
  value: number;
}

export interface Figure {
  benchmark: string;
  /** What was measured, e.g. `durable events/s`. */
  metric: string;
  value: number;
  unit: string;
  /** What the figure is compared with; null when nothing meaningful exists. */
  baseline: { label: string; value: number; unit: string } | null;
  /** value / baseline.value. */
  ratio: number | null;
  targets: Target[];
  /** True when every target holds; null without targets. */
  met: boolean | null;
  notes: string[];
}

export interface FigureInput {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number; unit?: string } | null;
  targets?: Target[];
  notes?: string[];
}

function holds(target: Target, value: number | null): boolean {
  if (value === null || !Number.isFinite(value)) return false;
  if (target.op === '>=') return value >= target.value;
  if (target.op === '<=') return value <= target.value;
  return value === target.value;
}

export function figure(input: FigureInput): Figure {
  const baseline = input.baseline ? { label: input.baseline.label, value: input.baseline.value, unit: input.baseline.unit ?? input.unit } : null;
  const ratio = baseline && baseline.value !== 0 ? input.value / baseline.value : null;
  const targets = input.targets ?? [];
  const met = targets.length === 0 ? null : targets.every((t) => holds(t, t.of === 'value' ? input.value : ratio));
  return { benchmark: input.benchmark, metric: input.metric, value: input.value, unit: input.unit, baseline, ratio, targets, met, notes: input.notes ?? [] };
}

/** A benchmark that could not run (no PostgreSQL, a crash): reported, never silently left out. */
export function failedFigure(benchmark: string, reason: string): Figure {
  return { benchmark, metric: 'not measured', value: Number.NaN, unit: '', baseline: null, ratio: null, targets: [], met: false, notes: [reason] };
}
