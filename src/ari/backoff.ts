// Reconnect delays. Pure functions (random is injected) plus a tiny counter that owns the attempt number.
//
// Equal jitter: a delay is drawn from [ceiling/2, ceiling] with ceiling = min(max, min * 2^attempt).
// Full jitter can draw ~0 ms and then hammer a PBX that just went down; equal jitter keeps a lower bound
// that grows with the attempts while still spreading retries. cockatiel's generators call Math.random
// directly and cannot be driven by a seeded random in tests, hence this small function instead.

export interface BackoffOptions {
  /** Ceiling of the first delay. */
  minDelayMs: number;
  /** Largest delay of an ordinary retry; also the least wait after the application was replaced. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ minDelayMs: 1_000, maxDelayMs: 30_000 });

/** A number in [0, 1), like Math.random. */
export type RandomFn = () => number;

/** The ceiling for `attempt` (0-based): min doubling up to max. */
export function backoffCeilingMs(attempt: number, options: BackoffOptions): number {
  const { minDelayMs, maxDelayMs } = options;
  // 2^attempt overflows to Infinity for huge attempts; Math.min still caps it.
  const ceiling = minDelayMs * 2 ** Math.max(0, Math.floor(attempt));
  return Math.min(maxDelayMs, ceiling);
}

/** Delay before retry number `attempt` (0-based), within [ceiling/2, ceiling]. */
export function reconnectDelayMs(attempt: number, options: BackoffOptions, random: RandomFn = Math.random): number {
  const ceiling = backoffCeilingMs(attempt, options);
  const half = ceiling / 2;
  return Math.round(half + clampUnit(random()) * half);
}

/**
 * Delay after another client took the application over: never less than maxDelayMs, growing with the
 * attempts to at most twice it, so two engines sharing one app name do not keep stealing it from each other.
 */
export function replacedDelayMs(attempt: number, options: BackoffOptions, random: RandomFn = Math.random): number {
  return options.maxDelayMs + reconnectDelayMs(attempt, options, random);
}

/** Counts consecutive failed attempts; reset it once a connection has stayed up. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: RandomFn = Math.random,
  ) {
    if (!(options.minDelayMs > 0) || !(options.maxDelayMs >= options.minDelayMs)) {
      throw new RangeError(`backoff needs 0 < minDelayMs <= maxDelayMs, got ${options.minDelayMs} and ${options.maxDelayMs}`);
    }
  }

  get attempts(): number {
    return this.attempt;
  }

  nextDelayMs(): number {
    return reconnectDelayMs(this.attempt++, this.options, this.random);
  }

  nextReplacedDelayMs(): number {
    return replacedDelayMs(this.attempt++, this.options, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }
}

function clampUnit(value: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return value > 1 ? 1 : value;
}
