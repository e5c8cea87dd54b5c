// One sink's delivery state as /health reports it and the dashboard shows it. In a file of its own, free
// of imports, so the dashboard can take the type without the server's modules.

export interface SinkHealth {
  name: string;
  /** The target failed repeatedly: nothing is sent until the breaker lets a trial through. */
  breakerOpen: boolean;
  pending: number;
  /** Pending deliveries whose last attempt failed. */
  failing: number;
  dead: number;
  oldestPendingSec: number | null;
  /** Why the newest dead letter was given up (the target's own words when it answered). */
  lastDeadError: string | null;
}
