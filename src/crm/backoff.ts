// Retry spacing of failed deliveries: exponential, capped, with jitter so that deliveries that
// failed together (a CRM outage) do not all come back at the same instant.

export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Delay before attempt `attempts + 1`, after `attempts` failures (1 = the first failure). */
export function retryDelayMs(attempts: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponential = options.baseDelayMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40);
  const capped = Math.min(options.maxDelayMs, exponential);
  // Half fixed, half random: never sooner than half the nominal delay.
  return Math.round(capped / 2 + random() * (capped / 2));
}
