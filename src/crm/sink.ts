// A sink receives one outbox delivery at a time per call, in order. The worker owns retries,
// ordering and dead letters; a sink only performs the delivery or throws (see errors.ts).

export interface Delivery {
  id: number;
  sink: string;
  callId: string;
  eventType: string;
  /** Stable across retries and replays; sent to the target so it can drop duplicates. */
  idempotencyKey: string;
  payload: unknown;
  /** Including the one in progress. */
  attempts: number;
  /** When the change was queued (ISO-8601). */
  createdAt: string;
}

export interface Sink {
  readonly name: string;
  deliver(delivery: Delivery, signal: AbortSignal): Promise<void>;
  /** 0 when the target takes requests; otherwise how long its circuit breaker stays open. */
  readyInMs(): number;
}
