import type { Figure, Target } from './figures.ts';
import { round } from './stats.ts';

// The printed result: one readable table, then one JSON line for machines.

function num(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const r = round(value);
  return Math.abs(r) >= 10_000 ? r.toLocaleString('en-US') : String(r);
}

function targetText(t: Target, unit: string): string {
  return t.of === 'ratio' ? `ratio ${t.op} ${t.value}` : `${t.op} ${num(t.value)} ${unit}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const line = (r: string[]): string => r.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ');
  const rule = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

export function formatTable(figures: readonly Figure[]): string {
  const rows = [['benchmark', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', 'met']];
  for (const f of figures) {
    rows.push([
      f.benchmark,
      f.metric,
      Number.isFinite(f.value) ? `${num(f.value)} ${f.unit}` : 'not measured',
      f.baseline ? `${num(f.baseline.value)} ${f.baseline.unit} (${f.baseline.label})` : '—',
      f.ratio === null ? '—' : num(f.ratio),
      f.targets.map((t) => targetText(t, f.unit)).join(', ') || '—',
      f.met === null ? '—' : f.met ? 'yes' : 'NO',
    ]);
  }
  const notes = figures.flatMap((f) => f.notes.map((n) => `  ${f.benchmark} / ${f.metric}: ${n}`));
  return `${table(rows)}\n\nNotes:\n${notes.join('\n')}`;
}

export interface Summary {
  quick: boolean;
  node: string;
  cpus: number;
  startedAt: string;
  seconds: number;
  figures: Array<{
    benchmark: string;
    metric: string;
    value: number | null;
    unit: string;
    baseline: number | null;
    baselineLabel: string | null;
    ratio: number | null;
    met: boolean | null;
  }>;
}

export function summaryLine(figures: readonly Figure[], meta: Omit<Summary, 'figures'>): string {
  const summary: Summary = {
    ...meta,
    figures: figures.map((f) => ({
      benchmark: f.benchmark,
      metric: f.metric,
      value: Number.isFinite(f.value) ? round(f.value) : null,
      unit: f.unit,
      baseline: f.baseline ? round(f.baseline.value) : null,
      baselineLabel: f.baseline?.label ?? null,
      ratio: f.ratio === null ? null : round(f.ratio),
      met: f.met,
    })),
  };
  return `BENCH_SUMMARY ${JSON.stringify(summary)}`;
}
