import { monitorEventLoopDelay } from 'node:perf_hooks';
import { silentLogger } from '../src/app/logger.ts';
import type { AriRest } from '../src/ari/rest.ts';
import { startFlow, step } from '../src/routing/flow/machine.ts';
import type { FlowState } from '../src/routing/flow/state.ts';
import type { FlowCommand } from '../src/routing/flow/types.ts';
import type { RoutingSnapshot } from '../src/routing/objects/model.ts';
import { RoutingStore } from '../src/routing/objects/routing-store.ts';
import { RoutingService } from '../src/routing/runtime/routing-service.ts';
import { RecordingStore } from '../src/routing/recordings/recording-store.ts';
import { context, extension, ivrMenu, ringGroup, snapshot, voicemailBox } from '../src/routing/test-fixtures.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Benchmark } from './support/benchmark.ts';
import { figure } from './support/figures.ts';
import { percentile, sleep } from './support/stats.ts';

// Routed calls, two figures (issue 19):
// 1. StasisStart → first ARI command at 100 new routed calls/s: the routing service as `callflow start` builds
//    it (routing read from the embedded database through its cache, the flow machine, the runtime, the offline
//    prompt audio), with an ARI that answers every request at once and records when it was asked. Each call:
//    StasisStart, the menu prompt ends, the caller hangs up. Baseline: the event loop's own delay p99 in the
//    same window (no reaction can come sooner than the loop gets to it).
// 2. The flow machine's decisions per second in memory (a call from menu to key to group to answer to hangup,
//    5 decisions). Baseline: JSON.parse of as many ARI StasisStart frames, what any decision costs at least in
//    the live path.

const CALLS_PER_SEC = 100;
const NUMBER = '5551000';

function frame(event: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify(event));
}

function stasisStart(channelId: string): Record<string, unknown> {
  return {
    type: 'StasisStart',
    timestamp: new Date().toISOString(),
    args: ['route'],
    channel: { id: channelId, name: `PJSIP/trunk-${channelId}`, state: 'Ring', caller: { name: 'Bench', number: '+15550001' }, connected: { name: '', number: '' }, dialplan: { context: 'routed-in', exten: NUMBER, priority: 1 }, creationtime: new Date().toISOString(), language: 'en' },
    application: 'callflow',
  };
}

async function firstCommandLatency(seconds: number, log: (m: string) => void): Promise<{ firstMs: number[]; playMs: number[]; loopP99Ms: number; calls: number }> {
  const store = await openStore({ dataDir: 'memory://routing-bench' });
  await store.migrate();
  const routing = new RoutingStore(store.sql);
  await store.sql.query(`INSERT INTO tenant_numbers (number, tenant_id) VALUES ($1, 'default')`, [NUMBER]);
  const box = await routing.create('voicemail', 'default', { number: '900', name: 'Desk', greeting: null, maxMessageS: 60, pinHash: null } as never);
  const e1 = await routing.create('extension', 'default', { number: '101', name: 'Ann', callerIdName: null, ringTimeoutS: 20, voicemailBoxId: null, forward: {}, record: false, enabled: true } as never);
  const group = await routing.create('ring-group', 'default', { name: 'Sales', number: null, strategy: 'simultaneous', members: [{ extensionId: e1.id, timeoutS: null }], memberTimeoutS: 15, turns: 1, totalTimeoutS: 60, skipBusy: false, fallback: { type: 'voicemail', id: box.id } } as never);
  const menu = await routing.create('ivr', 'default', {
    name: 'Main',
    prompt: { kind: 'text', text: 'Thank you for calling. Press 2 for sales.' },
    options: { '2': { type: 'ring-group', id: group.id } },
    directDial: false,
    timeoutS: 10,
    interDigitTimeoutMs: 2000,
    invalidPrompt: null,
    timeoutPrompt: null,
    retries: 1,
    failover: { type: 'voicemail', id: box.id },
  } as never);
  await routing.setNumberRoute('default', NUMBER, { type: 'ivr', id: menu.id }, false);

  const started = new Map<string, number>();
  const firstMs: number[] = [];
  const playMs: number[] = [];
  const answered = new Set<string>();
  const played = new Set<string>();
  const noted = (channelId: string, into: number[], seen: Set<string>): void => {
    const at = started.get(channelId);
    if (at === undefined || seen.has(channelId)) return;
    seen.add(channelId);
    into.push(performance.now() - at);
  };
  const pending: Buffer[] = [];
  const ari = {
    answer: async (id: string) => noted(id, firstMs, answered),
    play: async (id: string, playbackId: string) => {
      noted(id, playMs, played);
      pending.push(frame({ type: 'PlaybackFinished', playback: { id: playbackId, state: 'done' } }));
    },
    hangup: async () => undefined,
    stopPlayback: async () => undefined,
    originate: async () => ({}),
    createBridgeWithId: async () => ({}),
    addChannel: async () => undefined,
    record: async () => undefined,
    stopRecording: async () => undefined,
    storedRecordingFile: async () => null,
  } as unknown as AriRest;
  let stepsStored = 0;
  const service = new RoutingService({
    store: routing,
    logger: silentLogger(),
    dataDir: 'memory://routing-bench',
    secretsKey: Buffer.alloc(32, 1),
    mediaBaseUrl: () => 'http://127.0.0.1:3000',
    ingest: () => void stepsStored++,
    recordings: new RecordingStore(store.sql),
    recordingRetentionDays: 0,
  });
  const runtime = service.runtimeFor('bench', ari, 'callflow');
  try {
    // Warm-up: the prompt is spoken once (then served from its file), the routing read once.
    runtime.onFrame(frame(stasisStart('warm.1')));
    await sleep(1_500);
    runtime.onFrame(frame({ type: 'ChannelDestroyed', cause: 16, channel: { id: 'warm.1' } }));
    firstMs.length = 0;
    playMs.length = 0;
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const total = Math.round(seconds * CALLS_PER_SEC);
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / CALLS_PER_SEC;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const id = `b${i}.1`;
      started.set(id, performance.now());
      runtime.onFrame(frame(stasisStart(id)));
      for (const f of pending.splice(0)) runtime.onFrame(f);
      // Calls last about 2 s: the caller hangs up then.
      const gone = i - 2 * CALLS_PER_SEC;
      if (gone >= 0) runtime.onFrame(frame({ type: 'ChannelDestroyed', cause: 16, channel: { id: `b${gone}.1` } }));
    }
    await sleep(500);
    loop.disable();
    log(`routing: ${total} calls, ${firstMs.length} answered, ${playMs.length} prompts, ${stepsStored} steps stored, ${service.activeFlows} flows open`);
    return { firstMs, playMs, loopP99Ms: loop.percentile(99) / 1e6, calls: total };
  } finally {
    await service.close();
    await store.close();
  }
}

function decisionsPerSecond(seconds: number): { decisions: number; parses: number } {
  const config: RoutingSnapshot = snapshot({
    numbers: { [NUMBER]: { type: 'ivr', id: 'm1' } },
    extensions: [extension('e1', '101'), extension('e2', '102')],
    ringGroups: [ringGroup('g1', ['e1', 'e2'], { strategy: 'simultaneous', fallback: { type: 'voicemail', id: 'v1' } })],
    ivrMenus: [ivrMenu('m1', { options: { '2': { type: 'ring-group', id: 'g1' } } })],
    voicemailBoxes: [voicemailBox('v1')],
  });
  const ctx = context(config);
  const originated = (commands: FlowCommand[]): string => (commands.find((c) => c.type === 'originate') as { channelId: string }).channelId;
  let decisions = 0;
  const until = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < until) {
    for (let k = 0; k < 200; k++) {
      const caller = `c${n++}`;
      let r: { state: FlowState; commands: FlowCommand[] } = startFlow(`f${caller}`, { type: 'started', channelId: caller, from: '+1555', callerName: null, dialed: NUMBER }, ctx);
      const playback = (r.commands.find((c) => c.type === 'play') as { playbackId: string }).playbackId;
      r = step(r.state, { type: 'playback-finished', playbackId: playback }, ctx);
      r = step(r.state, { type: 'dtmf', channelId: caller, digit: '2' }, ctx);
      r = step(r.state, { type: 'answered', channelId: originated(r.commands) }, ctx);
      r = step(r.state, { type: 'hangup', channelId: caller, cause: 16 }, ctx);
      decisions += 5;
    }
  }
  const frames = Array.from({ length: 1000 }, (_, i) => JSON.stringify(stasisStart(`p${i}.1`)));
  let parses = 0;
  const parseUntil = performance.now() + seconds * 1000;
  while (performance.now() < parseUntil) {
    for (const f of frames) JSON.parse(f);
    parses += frames.length;
  }
  return { decisions: decisions / seconds, parses: parses / seconds };
}

export const routingBenchmark: Benchmark = {
  name: 'routing',
  title: `Routed calls: StasisStart → first ARI command at ${CALLS_PER_SEC} calls/s; flow decisions/s`,
  needsPostgres: false,
  timeoutMs: (quick) => (quick ? 60_000 : 120_000),
  async run(ctx) {
    const seconds = ctx.options.quick ? 5 : 20;
    const latency = await firstCommandLatency(seconds, ctx.log);
    const machine = decisionsPerSecond(ctx.options.quick ? 1 : 3);
    const notes = [`${latency.calls} calls at ${CALLS_PER_SEC}/s, routing read through the embedded database and the 2 s cache`];
    return [
      figure({
        benchmark: 'routing',
        metric: 'StasisStart → answer p99',
        value: percentile(latency.firstMs, 99),
        unit: 'ms',
        baseline: { label: 'event-loop delay p99', value: latency.loopP99Ms },
        targets: [{ of: 'value', op: '<=', value: 10 }],
        notes: [...notes, `p50 ${percentile(latency.firstMs, 50).toFixed(2)} ms, max ${Math.max(...latency.firstMs).toFixed(2)} ms`],
      }),
      figure({
        benchmark: 'routing',
        metric: 'StasisStart → prompt played p99',
        value: percentile(latency.playMs, 99),
        unit: 'ms',
        baseline: { label: 'event-loop delay p99', value: latency.loopP99Ms },
        notes: ['answer, then the prompt (its audio file made once, then found on disk)'],
      }),
      figure({
        benchmark: 'routing',
        metric: 'flow decisions/s (one thread)',
        value: machine.decisions,
        unit: 'decisions/s',
        baseline: { label: 'JSON.parse of StasisStart frames', value: machine.parses, unit: 'frames/s' },
        notes: ['menu → key → group → answer → hangup: 5 decisions a call'],
      }),
    ];
  },
};
