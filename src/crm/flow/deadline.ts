// A deadline for one request, kept alive by code we own: an AbortController aborted by our own timer,
// and by the caller's signal when it has one.
//
// Why not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: the combined signal holds its sources
// only weakly, and on Node 20 the timeout's signal is collected with its timer once a garbage
// collection has run while nothing else references it. The request then waited for as long as the
// remote held it (18-54 s against a 15 s timeout, under load). A timer in a closure we keep until the
// request settles always fires.

/** The abort reason of a request that ran out of time (its `name` is `TimeoutError`, like AbortSignal.timeout's). */
export function timeoutReason(timeoutMs: number): Error {
  return new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError');
}

export const isTimeoutReason = (reason: unknown): boolean => (reason as { name?: unknown } | undefined)?.name === 'TimeoutError';

export async function withDeadline<T>(timeoutMs: number, outer: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(timeoutReason(timeoutMs)), timeoutMs);
  const forward = () => controller.abort(outer?.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });
  try {
    return await run(controller.signal);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', forward);
  }
}
