import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Pipeline } from '../src/app/pipeline.ts';
import { directionPolicy } from '../src/domain/direction.ts';
import { defaultConfig } from './support/benchmark.ts';
import { sleep } from './support/stats.ts';

// Runs under `node --expose-gc` in a process of its own (see memory.ts): reads event texts from a file,
// feeds them to a tracker, and reports RSS and heap above the idle baseline with every call still open.
// `engine` is the real Pipeline, drained and committed in memory as the Ingestor does (so each call also
// holds its last persisted record); `minimal` is the least a tracker could hold: a channel → call map
// and per call a status and a start time.
// Usage: memory-worker.ts <events file> <engine|minimal>

export interface MemoryResult {
  kind: 'memory';
  mode: string;
  events: number;
  openCalls: number;
  idleRss: number;
  rss: number;
  idleHeap: number;
  heap: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Memory after full collections and a pause, in which V8 also hands unused pages back. */
async function settle(): Promise<{ rss: number; heap: number }> {
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(500);
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed };
}

interface Tracker {
  ingest(text: string): void;
  openCalls(): number;
}

function engineTracker(): Tracker {
  const pipeline = new Pipeline({ policy: directionPolicy(defaultConfig().direction) });
  const { batchSize } = defaultConfig().ingest;
  const drain = (): void => pipeline.drain(Date.now()).commit();
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

async function main(): Promise<void> {
  const [file = '', mode = 'engine'] = process.argv.slice(2);
  const tracker = mode === 'minimal' ? minimalTracker() : engineTracker();
  const idle = await settle();
  let events = 0;
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    tracker.ingest(line);
    events++;
  }
  // Counting open calls drains the last batch first, so everything is held as after a commit.
  const openCalls = tracker.openCalls();
  const held = await settle();
  const result: MemoryResult = { kind: 'memory', mode, events, openCalls, idleRss: idle.rss, rss: held.rss, idleHeap: idle.heap, heap: held.heap };
  process.send?.(result, () => process.exit(0));
}

void main();
