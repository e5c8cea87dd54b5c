import { createReadStream } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { Pipeline } from '../src/app/pipeline.ts';
import { normalizeAriEvent, parseAriEvent } from '../src/ari/normalize.ts';
import { directionPolicy } from '../src/domain/direction.ts';
import { defaultConfig } from './support/benchmark.ts';
import { sleep } from './support/stats.ts';

// Runs under `node --expose-gc` in a process of its own (see memory.ts) and reads event texts, one per
// line, from two files: warm-up events, parsed and normalized and dropped as a running engine does all
// day (so compiled code is part of the idle baseline and nothing is retained), then the events to hold,
// fed to a tracker. RSS and heap above the idle baseline are reported with every call still open, and
// the RSS of the fresh process too. Files are read in 1 MiB chunks pulled as the tracker goes, so no
// read-ahead piles up in memory.
// `engine` is the real Pipeline, drained in batches as the Ingestor does; `minimal` is the
// least a tracker could hold: a channel → call map and per call a status and a start time.
// Usage: memory-worker.ts <engine|minimal> <warm-up file> <held file>

export interface MemoryResult {
  kind: 'memory';
  mode: string;
  events: number;
  openCalls: number;
  coldRss: number;
  idleRss: number;
  rss: number;
  idleHeap: number;
  heap: number;
  /** Committed size of V8's young generation, idle and held (a working area sized by allocation rate). */
  idleYoung: number;
  young: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Memory after full collections and a pause, in which V8 also hands unused pages back. */
async function settle(): Promise<{ rss: number; heap: number; young: number }> {
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(500);
  }
  const usage = process.memoryUsage();
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  return { rss: usage.rss, heap: usage.heapUsed, young };
}

interface Tracker {
  ingest(text: string): void;
  openCalls(): number;
}

function engineTracker(): Tracker {
  const pipeline = new Pipeline({ policy: directionPolicy(defaultConfig().direction) });
  const { batchSize } = defaultConfig().ingest;
  const drain = (): void => void pipeline.drain(Date.now());
  return {
    ingest(text) {
      pipeline.ingestText(text, new Date(), 'pbx1');
      if (pipeline.pendingCount >= batchSize) drain();
    },
    openCalls() {
      drain();
      return pipeline.openCalls().length;
    },
  };
}

function minimalTracker(): Tracker {
  const callOfChannel = new Map<string, string>();
  const calls = new Map<string, { status: string; startedAt: string }>();
  return {
    ingest(text) {
      const event = JSON.parse(text) as { type: string; timestamp: string; channel?: { id: string; state: string; channelvars?: Record<string, string> } };
      const channel = event.channel;
      if (!channel) return;
      const callId = callOfChannel.get(channel.id) ?? channel.channelvars?.['CHANNEL(linkedid)'] ?? channel.id;
      callOfChannel.set(channel.id, callId);
      const call = calls.get(callId);
      if (call) call.status = channel.state;
      else calls.set(callId, { status: channel.state, startedAt: event.timestamp });
    },
    openCalls: () => calls.size,
  };
}

async function* linesOf(file: string): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop() ?? '';
    yield* lines;
  }
  if (rest !== '') yield rest;
}

async function main(): Promise<void> {
  const [mode = 'engine', warmupFile = '', heldFile = ''] = process.argv.slice(2);
  const tracker = mode === 'minimal' ? minimalTracker() : engineTracker();
  const cold = await settle();
  const receivedAt = new Date().toISOString();
  for await (const line of linesOf(warmupFile)) normalizeAriEvent(parseAriEvent(line), receivedAt);
  const idle = await settle();
  let events = 0;
  for await (const line of linesOf(heldFile)) {
    tracker.ingest(line);
    events++;
  }
  // Counting open calls drains the last batch first, so everything is held as after a commit.
  const openCalls = tracker.openCalls();
  const held = await settle();
  const result: MemoryResult = { kind: 'memory', mode, events, openCalls, coldRss: cold.rss, idleRss: idle.rss, rss: held.rss, idleHeap: idle.heap, heap: held.heap, idleYoung: idle.young, young: held.young };
  process.send?.(result, () => process.exit(0));
}

void main();
