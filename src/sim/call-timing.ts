// Maps a template's recorded timeline onto a generated call's: everything scales by timeScale, and
// a named phase (ringing, talking) can be given its own length; time inside a phase stretches linearly,
// so the order of events never changes.
import { AppError, ERROR_CODES } from '../errors.ts';
import type { TemplatePhase } from './template-types.ts';

export interface TimingOptions {
  /** Multiplies every recorded delay that no phase override covers. Default 1. */
  timeScale?: number;
  /** Length in ms for named phases of the template (e.g. `{ ring: 8000, talk: 45000 }`). */
  phaseMs?: Readonly<Record<string, number | undefined>>;
}

interface Stretch {
  fromMs: number;
  toMs: number;
  lengthMs: number;
}

export function createTimeMap(phases: readonly TemplatePhase[], options: TimingOptions = {}): (templateMs: number) => number {
  const scale = options.timeScale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `timeScale must be a positive number, got ${scale}`);
  }
  const stretches: Stretch[] = [];
  for (const phase of phases) {
    const lengthMs = options.phaseMs?.[phase.name];
    if (lengthMs === undefined) continue;
    if (!Number.isFinite(lengthMs) || lengthMs < 0) {
      throw new AppError(ERROR_CODES.CONFIG_INVALID, `phase ${phase.name} length must be >= 0 ms, got ${lengthMs}`);
    }
    if (phase.toMs > phase.fromMs) stretches.push({ fromMs: phase.fromMs, toMs: phase.toMs, lengthMs });
  }
  if (stretches.length === 0 && scale === 1) return (t) => t;
  return (t) => {
    let out = t * scale;
    for (const s of stretches) {
      if (t <= s.fromMs) continue;
      const span = s.toMs - s.fromMs;
      const inside = Math.min(t, s.toMs) - s.fromMs;
      out += (inside / span) * s.lengthMs - inside * scale;
    }
    return out;
  };
}
