// A stand-in Asterisk for `callflow start` without one: calls arrive at random (Poisson, the given
// rate), each plays a recorded scenario at its real pace, and every event's JSON text goes to the sink
// at its time. One timer drives everything; all randomness comes from the seed, so a run is
// reproducible given the seed and the clock. Nothing here throws into the process once started.
import { AppError, ERROR_CODES } from '../errors.ts';
import { createCallPlanner, type CallPlan, type ScenarioMix } from './call-mix.ts';
import { CallMerger } from './call-merger.ts';
import type { ChannelJson } from './ari-json.ts';
import { renderGeneratedCall } from './generate-call.ts';
import { createIdCounter } from './ids.ts';
import { LiveState, type BridgeJson } from './live-state.ts';
import { createRng, type Rng } from './rng.ts';

export interface SimClock {
  now(): number;
  setTimer(fn: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Wall clock and Node timers; timers are unref'd so a simulator never keeps the process alive. */
export const systemClock: SimClock = {
  now: () => Date.now(),
  setTimer: (fn, delayMs) => setTimeout(fn, delayMs).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SimulatorOptions {
  seed: number;
  callsPerSecond: number;
  withChannelvars: boolean;
  sink: (rawText: string, receivedAt: Date) => void;
  clock?: SimClock;
  mix?: ScenarioMix;
  application?: string;
  asteriskId?: string;
  /** Told about a sink that threw; the simulator goes on. */
  onError?: (error: unknown) => void;
}

export interface SimulatorStats {
  callsStarted: number;
  callsFinished: number;
  eventsSent: number;
  sinkErrors: number;
}

/** Arrivals handled per timer tick at most, so a clock jump cannot stall the event loop. */
const MAX_ARRIVALS_PER_TICK = 1000;
const MAX_EVENTS_PER_TICK = 20_000;

export class Simulator {
  private readonly clock: SimClock;
  private readonly rng: Rng;
  private readonly nextPlan: () => CallPlan;
  private readonly idCounter = createIdCounter();
  private readonly merger = new CallMerger();
  private readonly live = new LiveState();
  private readonly meanGapMs: number;
  private timer: unknown = undefined;
  private nextArrivalMs = 0;
  private running = false;
  private readonly counts: SimulatorStats = { callsStarted: 0, callsFinished: 0, eventsSent: 0, sinkErrors: 0 };

  constructor(private readonly options: SimulatorOptions) {
    const { callsPerSecond, seed } = options;
    if (!Number.isFinite(callsPerSecond) || callsPerSecond <= 0 || callsPerSecond > 10_000) {
      throw new AppError(ERROR_CODES.CONFIG_INVALID, `callsPerSecond must be > 0 and <= 10000, got ${callsPerSecond}`);
    }
    if (!Number.isFinite(seed)) throw new AppError(ERROR_CODES.CONFIG_INVALID, `seed must be a number, got ${seed}`);
    this.clock = options.clock ?? systemClock;
    this.rng = createRng(seed);
    this.nextPlan = createCallPlanner(this.rng, options.mix);
    this.meanGapMs = 1000 / callsPerSecond;
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.nextArrivalMs = this.safeNow();
    this.schedule();
  }

  /** Stops sending; calls in flight freeze where they are (their channels stay listed). */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) {
      try {
        this.clock.clearTimer(this.timer);
      } catch (error) {
        this.report(error);
      }
      this.timer = undefined;
    }
  }

  /** Live channels as ARI's `GET /channels` would list them. */
  listChannels(): ChannelJson[] {
    return this.live.listChannels();
  }

  /** Live bridges as ARI's `GET /bridges` would list them. */
  listBridges(): BridgeJson[] {
    return this.live.listBridges();
  }

  stats(): SimulatorStats {
    return { ...this.counts };
  }

  private safeNow(): number {
    try {
      return this.clock.now();
    } catch (error) {
      this.report(error);
      return Date.now();
    }
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // An error handler that throws has nobody left to tell.
    }
  }

  private schedule(): void {
    if (!this.running) return;
    const pending = this.merger.nextAtMs();
    const dueMs = pending === undefined ? this.nextArrivalMs : Math.min(pending, this.nextArrivalMs);
    try {
      this.timer = this.clock.setTimer(() => this.tick(), Math.max(0, dueMs - this.safeNow()));
    } catch (error) {
      this.running = false;
      this.report(error);
    }
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.running) return;
    try {
      const now = this.safeNow();
      for (let i = 0; i < MAX_ARRIVALS_PER_TICK && this.nextArrivalMs <= now; i++) {
        this.startCall(this.nextArrivalMs);
        // Exponential gaps make a Poisson arrival process, like independent callers.
        this.nextArrivalMs += -Math.log(1 - this.rng.next()) * this.meanGapMs;
      }
      for (let i = 0; i < MAX_EVENTS_PER_TICK && (this.merger.nextAtMs() ?? Infinity) <= now; i++) this.emitNext(now);
    } catch (error) {
      this.report(error);
    }
    this.schedule();
  }

  private startCall(atMs: number): void {
    const plan = this.nextPlan();
    const call = renderGeneratedCall(plan.template, {
      ...plan,
      rng: this.rng,
      startMs: Math.round(atMs),
      idCounter: this.idCounter,
      withChannelvars: this.options.withChannelvars,
      application: this.options.application,
      asteriskId: this.options.asteriskId,
    });
    this.merger.add(call);
    this.counts.callsStarted++;
  }

  private emitNext(now: number): void {
    const taken = this.merger.take();
    if (!taken) return;
    this.live.apply(JSON.parse(taken.text) as Record<string, unknown>);
    if (taken.finished) {
      this.live.forget(taken.call.channelIds);
      this.counts.callsFinished++;
    }
    this.counts.eventsSent++;
    try {
      this.options.sink(taken.text, new Date(now));
    } catch (error) {
      this.counts.sinkErrors++;
      this.report(error);
    }
  }
}
