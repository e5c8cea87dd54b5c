import { FakeAsterisk, textFrames, type FramedBurst } from '../test/support/fake-asterisk.ts';
import { eventTextStream } from './support/traffic.ts';
import type { FeedCommand, FeedMessage } from './support/feed-protocol.ts';

// A separate process standing in for Asterisk: the loopback FakeAsterisk on 127.0.0.1, streaming the
// generated traffic over its real events WebSocket. It honours the socket's backpressure (the engine
// pausing its reader stops this sender), so a slow engine slows the feed instead of growing buffers.
// Driven by its parent over IPC (see feed-protocol.ts); exits when the parent goes away.

const fake = new FakeAsterisk();
let stopRequested = false;

/**
 * Flat-out traffic rendered and framed ahead of a run (the 'prepare' command), so that during the run this
 * process spends its CPU on the socket alone: Asterisk runs on a machine of its own, this process shares the
 * engine's cores. The next flat-out stream of the same traffic sends these bursts first, then renders the
 * rest of the same sequence as it goes.
 */
interface Prepared {
  traffic: string;
  bursts: { burst: FramedBurst; textBytes: number }[];
  events: number;
  rest: Iterator<string, void>;
}
let prepared: Prepared | null = null;

function send(message: FeedMessage): void {
  process.send?.(message);
}

/** Counts what the stream pulled and how long the sender stood still (blocked by backpressure). */
class SendMeter {
  sent = 0;
  bytes = 0;
  blockedMs = 0;
  longestStallMs = 0;
  private lastCount = 0;
  private stallStart: number | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly tickMs = 20) {
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  private tick(): void {
    const now = performance.now();
    if (this.sent === this.lastCount) {
      this.stallStart ??= now - this.tickMs;
      this.blockedMs += this.tickMs;
      this.longestStallMs = Math.max(this.longestStallMs, now - this.stallStart);
    } else {
      this.stallStart = null;
    }
    this.lastCount = this.sent;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Frames handed to the socket per step when streaming flat out (one await per burst, not per frame). */
const BURST = 256;

async function* paced(
  texts: Iterable<string>,
  meter: SendMeter,
  command: Extract<FeedCommand, { cmd: 'stream' }>,
  ratePerSec: number,
): AsyncGenerator<string, void, undefined> {
  const started = performance.now();
  const deadline = command.durationMs === null ? Infinity : started + command.durationMs;
  let n = 0;
  for (const text of texts) {
    if (stopRequested) return;
    if ((n & 255) === 0) {
      if (performance.now() >= deadline) return;
      // Let IPC (a stop request) and timers in even when the socket never pushes back.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Paced: never ahead of the offered rate; a late sender catches up in a burst, as Asterisk would.
    for (;;) {
      const dueMs = started + (n * 1000) / ratePerSec;
      const waitMs = dueMs - performance.now();
      if (waitMs <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.floor(waitMs))));
      if (stopRequested || performance.now() >= deadline) return;
    }
    n++;
    meter.sent = n;
    meter.bytes += text.length;
    yield text;
  }
}

/**
 * As fast as the socket takes them, BURST frames at a time (each still its own WebSocket message): the
 * prepared bursts first, when there are any, then `texts`.
 */
async function* flatOut(
  texts: Iterable<string>,
  meter: SendMeter,
  command: Extract<FeedCommand, { cmd: 'stream' }>,
  ready: Prepared['bursts'] = [],
): AsyncGenerator<string[] | FramedBurst, void, undefined> {
  const deadline = command.durationMs === null ? Infinity : performance.now() + command.durationMs;
  for (const { burst, textBytes } of ready) {
    await new Promise((resolve) => setImmediate(resolve));
    if (stopRequested || performance.now() >= deadline) return;
    meter.sent += burst.count;
    meter.bytes += textBytes;
    yield burst;
  }
  for (const burst of inBursts(texts)) {
    if (burst.length === BURST) {
      // Let IPC (a stop request) and timers in even when the socket never pushes back.
      await new Promise((resolve) => setImmediate(resolve));
      if (stopRequested || performance.now() >= deadline) return;
    } else if (stopRequested) {
      return;
    }
    meter.sent += burst.length;
    for (const t of burst) meter.bytes += t.length;
    yield burst;
  }
}

/** The texts in arrays of BURST (the last one shorter). */
function* inBursts(texts: Iterable<string>): Generator<string[], void, undefined> {
  let burst: string[] = [];
  for (const text of texts) {
    burst.push(text);
    if (burst.length < BURST) continue;
    yield burst;
    burst = [];
  }
  if (burst.length > 0) yield burst;
}

/** The next `limit` texts of `source` at most, leaving the rest in it. */
function* take(source: Iterator<string, void>, limit: number): Generator<string, void, undefined> {
  for (let n = 0; n < limit; n++) {
    const next = source.next();
    if (next.done) return;
    yield next.value;
  }
}

function prepare(command: Extract<FeedCommand, { cmd: 'prepare' }>): void {
  const started = performance.now();
  prepared = null;
  const rest = eventTextStream(Number.MAX_SAFE_INTEGER, command.traffic);
  const bursts: Prepared['bursts'] = [];
  let events = 0;
  let bytes = 0;
  for (const texts of inBursts(take(rest, command.events))) {
    const textBytes = texts.reduce((sum, t) => sum + t.length, 0);
    bursts.push({ burst: { frames: textFrames(texts), count: texts.length }, textBytes });
    events += texts.length;
    bytes += textBytes;
  }
  prepared = { traffic: JSON.stringify(command.traffic), bursts, events, rest };
  send({ type: 'prepared', events, bytes, ms: performance.now() - started });
}

/** The stream's sources: the prepared bursts when they are this very traffic, then its remaining texts. */
function sourcesOf(command: Extract<FeedCommand, { cmd: 'stream' }>): { ready: Prepared['bursts']; texts: Iterable<string> } {
  const ready = prepared;
  prepared = null;
  if (ready === null || command.ratePerSec !== null || ready.traffic !== JSON.stringify(command.traffic) || ready.events > command.maxEvents) {
    return { ready: [], texts: eventTextStream(command.maxEvents, command.traffic) };
  }
  return { ready: ready.bursts, texts: take(ready.rest, command.maxEvents - ready.events) };
}

async function stream(command: Extract<FeedCommand, { cmd: 'stream' }>): Promise<void> {
  stopRequested = false;
  await fake.waitForConnection(1, 30_000);
  const meter = new SendMeter();
  const started = performance.now();
  const { ready, texts } = sourcesOf(command);
  const items = command.ratePerSec === null ? flatOut(texts, meter, command, ready) : paced(texts, meter, command, command.ratePerSec);
  const sent = await fake.stream(items);
  meter.stop();
  send({ type: 'done', sent, bytes: meter.bytes, elapsedMs: performance.now() - started, blockedMs: meter.blockedMs, longestStallMs: meter.longestStallMs });
}

process.on('message', (message: FeedCommand) => {
  if (message.cmd === 'prepare') {
    try {
      prepare(message);
    } catch (error) {
      send({ type: 'error', message: (error as Error).message });
    }
  } else if (message.cmd === 'stream') {
    stream(message).catch((error: unknown) => send({ type: 'error', message: (error as Error).message }));
  } else if (message.cmd === 'stop') {
    stopRequested = true;
  }
});
process.on('disconnect', () => {
  void fake.stop().finally(() => process.exit(0));
});

const { url } = await fake.start();
send({ type: 'ready', url });
