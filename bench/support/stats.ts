// Small statistics helpers for latencies and rates.

/** Percentile by nearest rank (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rounds for display and JSON without losing what matters (3 significant digits below 100). */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value);
  if (abs >= 10) return Math.round(value * 10) / 10;
  if (abs >= 1) return Math.round(value * 100) / 100;
  return Math.round(value * 1000) / 1000;
}

/** Samples a counter at a fixed interval, so a window's rate and its steadiness can be read afterwards. */
export class CounterSampler {
  readonly samples: { atMs: number; count: number }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly read: () => number,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.take();
    this.timer = setInterval(() => this.take(), this.intervalMs);
  }

  take(): { atMs: number; count: number } {
    const sample = { atMs: performance.now(), count: this.read() };
    this.samples.push(sample);
    return sample;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.take();
  }

  /** Rates (per second) of each interval between consecutive samples from `fromMs` on. */
  intervalRates(fromMs: number): number[] {
    const rates: number[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1]!;
      const b = this.samples[i]!;
      if (a.atMs >= fromMs && b.atMs > a.atMs) rates.push(((b.count - a.count) * 1000) / (b.atMs - a.atMs));
    }
    return rates;
  }
}
