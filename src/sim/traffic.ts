// Simulated ARI traffic for benchmarks and tests: many overlapping calls, produced lazily in time
// order. At most `concurrency` calls are in flight; each holds a few numbers until its next event is
// rendered, so millions of events stream in constant memory.
import { AppError, ERROR_CODES } from '../errors.ts';
import { createCallPlanner, type CallTiming, type ScenarioMix } from './call-mix.ts';
import { CallMerger } from './call-merger.ts';
import { renderGeneratedCall, type AriEventJson } from './generate-call.ts';
import { createIdCounter } from './ids.ts';
import { createRng } from './rng.ts';

export interface TrafficOptions {
  seed: number;
  /** Calls to generate in total. */
  calls: number;
  /** Calls in flight at once, at most. */
  concurrency: number;
  mix?: ScenarioMix;
  withChannelvars?: boolean;
  /** Epoch ms of the first call. Default 2026-01-01T00:00:00Z, so output depends on the seed only. */
  startMs?: number;
  timing?: CallTiming;
  application?: string;
  asteriskId?: string;
}

export const DEFAULT_TRAFFIC_START_MS = Date.UTC(2026, 0, 1);
/** A finished call is replaced after a pause of up to this long. */
const MAX_GAP_BETWEEN_CALLS_MS = 2000;
/** The first wave of calls starts spread over this window. */
const FIRST_WAVE_MS = 1000;

/** One generated event: its JSON text as sent over the WebSocket, parsed only if `event` is read. */
export class TrafficEvent {
  private parsed: AriEventJson | undefined;

  constructor(
    readonly atMs: number,
    readonly callId: string,
    /** Template name, so a consumer can check the outcome the call should have. */
    readonly scenario: string,
    readonly text: string,
  ) {}

  get event(): AriEventJson {
    return (this.parsed ??= JSON.parse(this.text) as AriEventJson);
  }
}

function positiveInteger(value: number, what: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `${what} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

export function* generateTraffic(options: TrafficOptions): Generator<TrafficEvent, void, undefined> {
  const calls = positiveInteger(options.calls, 'calls', 0);
  const concurrency = positiveInteger(options.concurrency, 'concurrency', 1);
  const startMs = options.startMs ?? DEFAULT_TRAFFIC_START_MS;
  const rng = createRng(options.seed);
  const nextPlan = createCallPlanner(rng, options.mix, options.timing);
  const idCounter = createIdCounter();
  const merger = new CallMerger();
  let started = 0;
  const startCall = (atMs: number): void => {
    const plan = nextPlan();
    started++;
    merger.add(
      renderGeneratedCall(plan.template, {
        ...plan,
        rng,
        startMs: atMs,
        idCounter,
        withChannelvars: options.withChannelvars ?? false,
        application: options.application,
        asteriskId: options.asteriskId,
      }),
    );
  };

  const firstWave = Math.min(calls, concurrency);
  const offsets = Array.from({ length: firstWave }, () => Math.floor(rng.next() * FIRST_WAVE_MS)).sort((a, b) => a - b);
  for (const offset of offsets) startCall(startMs + offset);
  for (;;) {
    const taken = merger.take();
    if (!taken) return;
    if (taken.finished && started < calls) startCall(taken.atMs + rng.int(0, MAX_GAP_BETWEEN_CALLS_MS));
    yield new TrafficEvent(taken.atMs, taken.call.callId, taken.call.template.name, taken.text);
  }
}

export type TrafficLineFormat = 'event' | 'recorded';

/**
 * The traffic as text lines: `event` gives each raw ARI event's JSON (one WebSocket frame per line);
 * `recorded` wraps it like the fixture recordings: `{"seq","recv_ts","recv_mono_ms","event"}`.
 */
export function* trafficLines(options: TrafficOptions, format: TrafficLineFormat = 'event'): Generator<string, void, undefined> {
  const startMs = options.startMs ?? DEFAULT_TRAFFIC_START_MS;
  let seq = 0;
  for (const e of generateTraffic(options)) {
    if (format === 'event') {
      yield e.text;
    } else {
      seq++;
      yield `{"seq":${seq},"recv_ts":"${new Date(e.atMs).toISOString()}","recv_mono_ms":${e.atMs - startMs},"event":${e.text}}`;
    }
  }
}
