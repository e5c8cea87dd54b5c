import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen } from 'cockatiel';
import { crmRequestError, isTargetDown } from '../errors.ts';
import { withDeadline } from './deadline.ts';
import type { RateLimit, RateLimiter } from './rate-limiter.ts';

// Everything between a sink and one remote system: the shared rate limiter, a circuit breaker that
// stops hammering a target that is down, and a timeout on every request.

export interface TargetOptions {
  name: string;
  limit: RateLimit;
  limiter: RateLimiter;
  timeoutMs: number;
  breakerFailures: number;
  breakerHalfOpenMs: number;
  now?: () => number;
}

export interface Target {
  readonly name: string;
  readonly limit: RateLimit;
  /** One request: waits its turn, runs with a timeout signal, counts the outcome in the breaker. */
  run<T>(request: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** The target asked us to slow down. */
  pause(pauseMs: number): Promise<void>;
  /** 0 when requests may go; otherwise how long the open breaker keeps the target closed. */
  readyInMs(): number;
}

export function createTarget(options: TargetOptions): Target {
  const now = options.now ?? Date.now;
  const breaker = circuitBreaker(handleWhen(isTargetDown), {
    halfOpenAfter: options.breakerHalfOpenMs,
    breaker: new ConsecutiveBreaker(options.breakerFailures),
  });
  let openUntilMs = 0;
  breaker.onBreak(() => {
    openUntilMs = now() + options.breakerHalfOpenMs;
  });
  const circuitOpen = (cause?: unknown) =>
    crmRequestError(`${options.name}: circuit open after repeated failures`, { target: options.name, circuitOpen: true }, { retryable: true, cause });

  const readyInMs = () => (breaker.state === CircuitState.Open ? Math.max(0, openUntilMs - now()) : 0);

  return {
    name: options.name,
    limit: options.limit,
    readyInMs,
    async run(request, signal) {
      // Spend no token on a request the breaker would refuse anyway.
      if (readyInMs() > 0) throw circuitOpen();
      await options.limiter.acquire(options.name, options.limit, signal);
      try {
        return await breaker.execute(() => withDeadline(options.timeoutMs, signal, request));
      } catch (err) {
        if (err instanceof BrokenCircuitError) throw circuitOpen(err);
        throw err;
      }
    },
    pause(pauseMs) {
      return options.limiter.pause(options.name, options.limit, pauseMs);
    },
  };
}
