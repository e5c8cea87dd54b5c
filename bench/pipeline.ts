import { Pipeline } from '../src/app/pipeline.ts';
import { directionPolicy } from '../src/domain/direction.ts';
import { defaultConfig, type Benchmark } from './support/benchmark.ts';
import { figure } from './support/figures.ts';
import { median } from './support/stats.ts';
import { eventTexts } from './support/traffic.ts';

// In-memory pipeline: parse → normalize → group → state machine, drained into write batches (call records
// derived, the batch committed in memory), no store. Baseline: bare JSON.parse of the same event texts.

const ROUNDS = 5;
const FINISHED_GRACE_MS = 10_000;

function parseAll(texts: readonly string[]): { seconds: number; check: number } {
  let check = 0;
  const started = performance.now();
  for (const text of texts) check += (JSON.parse(text) as { type: string }).type.length;
  return { seconds: (performance.now() - started) / 1000, check };
}

function pipelineAll(texts: readonly string[], batchSize: number): { seconds: number; invalid: number; calls: number } {
  const { direction } = defaultConfig();
  const pipeline = new Pipeline({ policy: directionPolicy(direction) });
  let calls = 0;
  const drain = (): void => {
    const nowMs = Date.now();
    const drained = pipeline.drain(nowMs);
    calls += drained.batch.calls.length;
    pipeline.evictFinished(nowMs, FINISHED_GRACE_MS);
  };
  const started = performance.now();
  for (let i = 0; i < texts.length; i++) {
    // One Date per event, as the ARI connection stamps each frame on arrival.
    pipeline.ingestText(texts[i]!, new Date(), 'pbx1');
    if (pipeline.pendingCount >= batchSize) drain();
  }
  drain();
  return { seconds: (performance.now() - started) / 1000, invalid: pipeline.invalidCount, calls };
}

export const pipelineBenchmark: Benchmark = {
  name: 'pipeline',
  title: 'In-memory pipeline (no store)',
  needsPostgres: false,
  timeoutMs: (quick) => (quick ? 60_000 : 180_000),
  async run(ctx) {
    const count = ctx.options.quick ? 150_000 : 400_000;
    const { batchSize } = defaultConfig().ingest;
    ctx.log(`generating ${count} events`);
    const texts = eventTexts(count);
    const avgBytes = texts.reduce((n, t) => n + t.length, 0) / texts.length;
    // Warm both code paths up so the rounds compare compiled code with compiled code.
    parseAll(texts.slice(0, 50_000));
    pipelineAll(texts.slice(0, 50_000), batchSize);
    const parseRates: number[] = [];
    const pipelineRates: number[] = [];
    let invalid = 0;
    for (let round = 0; round < ROUNDS; round++) {
      parseRates.push(count / parseAll(texts).seconds);
      const run = pipelineAll(texts, batchSize);
      invalid += run.invalid;
      pipelineRates.push(count / run.seconds);
      ctx.log(`round ${round + 1}: JSON.parse ${Math.round(parseRates[round]!)}/s, pipeline ${Math.round(pipelineRates[round]!)}/s`);
    }
    return [
      figure({
        benchmark: 'pipeline',
        metric: 'events/s, parse → normalize → group → state machine → batches',
        value: median(pipelineRates),
        unit: 'events/s',
        baseline: { label: 'bare JSON.parse of the same texts', value: median(parseRates) },
        targets: [
          { of: 'value', op: '>=', value: 150_000 },
          { of: 'ratio', op: '>=', value: 0.5 },
        ],
        notes: [
          `median of ${ROUNDS} rounds of ${count} events (avg ${Math.round(avgBytes)} bytes), one core`,
          ...(invalid > 0 ? [`${invalid} events rejected as invalid: the traffic or the pipeline is wrong`] : []),
        ],
      }),
    ];
  },
};
