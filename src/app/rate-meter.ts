// Events per second over a sliding window, counted in one-second buckets.

export class RateMeter {
  private readonly buckets: number[];
  private readonly seconds: number;
  private currentSecond = 0;

  constructor(
    windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.seconds = Math.max(1, Math.round(windowMs / 1000));
    this.buckets = new Array<number>(this.seconds).fill(0);
  }

  private roll(): number {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.currentSecond) {
      const gap = Math.min(this.seconds, second - this.currentSecond);
      for (let i = 1; i <= gap; i++) this.buckets[(this.currentSecond + i) % this.seconds] = 0;
      this.currentSecond = second;
    }
    return second % this.seconds;
  }

  mark(n = 1): void {
    const i = this.roll();
    this.buckets[i] = (this.buckets[i] ?? 0) + n;
  }

  /** Average rate over the window's complete seconds. */
  perSecond(): number {
    const i = this.roll();
    let sum = 0;
    for (let k = 0; k < this.seconds; k++) if (k !== i) sum += this.buckets[k] ?? 0;
    return this.seconds > 1 ? sum / (this.seconds - 1) : sum;
  }
}
