import type { Logger } from '../app/logger.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { retryDelayMs } from './backoff.ts';
import type { OutboxConfig } from './config.ts';
import { describeError, isCircuitOpen, isRetryable } from './errors.ts';
import type { OutboxMetrics } from './outbox-metrics.ts';
import { claimDue, extendLeases, markDelivered, markFailed, releaseClaim, sweep } from './outbox-sql.ts';
import type { Delivery, Sink } from './sink.ts';

// Delivers outbox rows to their sinks: at least once, in order per sink and call, with backoff and
// dead letters. Any number of workers (threads of one instance or several instances) may run against
// one database; claims carry a lease that a live worker renews and a crashed worker's claims outlive.

export type OutboxWorkerConfig = Pick<
  OutboxConfig,
  'maxAgeMs' | 'baseDelayMs' | 'maxDelayMs' | 'concurrency' | 'settleMs' | 'leaseMs' | 'pollIntervalMs'
>;

export interface OutboxWorkerOptions {
  sql: SqlClient;
  /** The sinks, or how to read them now: a tenant's sinks come and go while the worker runs. */
  sinks: readonly Sink[] | (() => readonly Sink[]);
  config: OutboxWorkerConfig;
  logger: Logger;
  metrics?: OutboxMetrics;
  random?: () => number;
  /** How often rows that can never go (behind a dead one) are moved to the dead letters. */
  sweepIntervalMs?: number;
}

export interface OutboxWorker {
  start(): void;
  /** Stops claiming; waits up to graceMs for deliveries in flight, then aborts them. */
  stop(graceMs?: number): Promise<void>;
  /** New rows were written: look now rather than at the next poll. */
  wake(): void;
  /** One claim-and-deliver round, awaited to the end (tests, tools). Returns the deliveries tried. */
  runOnce(): Promise<number>;
}

export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { sql, config, logger, metrics } = options;
  const given = options.sinks;
  const current = typeof given === 'function' ? given : () => given;
  let sinks = new Map<string, Sink>();
  let seen: readonly Sink[] | null = null;
  // Read at each claim round (and each delivery): rebuilt only when the set has changed.
  const sinksNow = (): Map<string, Sink> => {
    const list = current();
    if (list !== seen) {
      seen = list;
      sinks = new Map(list.map((s) => [s.name, s]));
    }
    return sinks;
  };
  const sweepIntervalMs = options.sweepIntervalMs ?? Math.max(1000, config.pollIntervalMs * 4);
  const inflight = new Map<number, { delivery: Delivery; abort: AbortController; done: Promise<void> }>();
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wakeUp: (() => void) | null = null;
  // A wake-up that came while the loop was busy claiming still cuts the next nap short.
  let woken = false;
  let lastSweepAt = 0;
  let heartbeat: NodeJS.Timeout | null = null;

  const wake = () => {
    woken = true;
    wakeUp?.();
  };
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        wakeUp = null;
        resolve();
      }, ms);
      wakeUp = () => {
        clearTimeout(timer);
        wakeUp = null;
        woken = false;
        resolve();
      };
    });

  async function deliver(d: Delivery, abort: AbortController): Promise<void> {
    const sink = sinksNow().get(d.sink);
    if (!sink) {
      // Its settings were removed or replaced since the claim: it goes back for the sink as it stands now.
      await releaseClaim(sql, d, config.pollIntervalMs);
      return;
    }
    try {
      await sink.deliver(d, abort.signal);
    } catch (err) {
      await recordFailure(sink, d, err);
      return;
    }
    const latencySec = await markDelivered(sql, d);
    metrics?.attempt(d.sink, 'delivered');
    if (latencySec !== null) metrics?.delivered(d.sink, latencySec);
    else logger.warn({ deliveryId: d.id, sink: d.sink }, 'delivery done after its claim was taken over');
  }

  async function recordFailure(sink: Sink, d: Delivery, err: unknown): Promise<void> {
    if (isCircuitOpen(err)) {
      await releaseClaim(sql, d, Math.max(sink.readyInMs(), config.pollIntervalMs));
      metrics?.attempt(d.sink, 'released');
      return;
    }
    const status = await markFailed(sql, d, {
      error: describeError(err),
      permanent: !isRetryable(err),
      delayMs: retryDelayMs(d.attempts, config, options.random),
      maxAgeMs: config.maxAgeMs,
    });
    const log = { deliveryId: d.id, sink: d.sink, callId: d.callId, eventType: d.eventType, attempts: d.attempts, error: describeError(err) };
    if (status === 'dead') logger.error(log, 'delivery given up: moved to the dead letters');
    else logger.warn(log, 'delivery failed; it will be retried');
    metrics?.attempt(d.sink, status === 'dead' ? 'dead' : 'failed');
  }

  function launch(d: Delivery): Promise<void> {
    const abort = new AbortController();
    const done = deliver(d, abort)
      .catch((err) => logger.error({ deliveryId: d.id, err: describeError(err) }, 'could not record a delivery outcome; its lease will expire and it will be retried'))
      .finally(() => {
        inflight.delete(d.id);
        wake();
      });
    inflight.set(d.id, { delivery: d, abort, done });
    return done;
  }

  async function claimRound(): Promise<Delivery[]> {
    if (Date.now() - lastSweepAt >= sweepIntervalMs) {
      lastSweepAt = Date.now();
      const swept = await sweep(sql, [...sinksNow().keys()], config.maxAgeMs);
      if (swept > 0) logger.warn({ count: swept }, 'deliveries that can no longer go in order moved to the dead letters');
    }
    const free = config.concurrency - inflight.size;
    const ready = [...sinksNow().values()].filter((s) => s.readyInMs() === 0).map((s) => s.name);
    return claimDue(sql, { sinks: ready, limit: free, settleMs: config.settleMs, leaseMs: config.leaseMs });
  }

  async function loop(): Promise<void> {
    while (running) {
      let claimed = 0;
      try {
        const batch = await claimRound();
        for (const d of batch) void launch(d);
        claimed = batch.length;
      } catch (err) {
        logger.error({ err: describeError(err) }, 'outbox claim failed');
      }
      if (!running) break;
      // Busy (all slots taken) or idle: wait for a delivery to finish, a wake-up, or the next poll.
      if (claimed === 0 || inflight.size >= config.concurrency) await nap(config.pollIntervalMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      heartbeat = setInterval(() => {
        extendLeases(sql, [...inflight.keys()], config.leaseMs).catch((err) =>
          logger.warn({ err: describeError(err) }, 'could not renew delivery leases'),
        );
      }, Math.max(50, Math.floor(config.leaseMs / 3)));
      heartbeat.unref();
      loopDone = loop();
    },
    async stop(graceMs = 5000) {
      running = false;
      wake();
      await loopDone;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      const pending = [...inflight.values()];
      const timer = setTimeout(() => pending.forEach((f) => f.abort.abort(new Error('worker stopping'))), graceMs);
      await Promise.all(pending.map((f) => f.done));
      clearTimeout(timer);
    },
    wake,
    async runOnce() {
      const batch = await claimRound();
      await Promise.all(batch.map(launch));
      return batch.length;
    },
  };
}
