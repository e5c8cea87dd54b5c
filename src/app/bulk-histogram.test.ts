import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BulkHistogram } from './bulk-histogram.ts';

const BUCKETS = [0.005, 0.01, 0.05, 1];

describe('BulkHistogram', () => {
  it('exposes exactly what prom-client shows for the same observations one by one', async () => {
    const bulkRegistry = new Registry();
    const plainRegistry = new Registry();
    const bulk = new BulkHistogram({ name: 'lag_seconds', help: 'lag', buckets: BUCKETS, registers: [bulkRegistry] });
    const plain = new Histogram({ name: 'lag_seconds', help: 'lag', buckets: BUCKETS, registers: [plainRegistry] });
    const observations: [number, number][] = [
      [0.002, 3],
      [0.005, 2], // on a bound: counted in that bucket (le)
      [0.02, 5],
      [7, 1], // above every bound: only +Inf
      [0.5, 4],
    ];
    for (const [value, times] of observations) {
      bulk.observe(value, times);
      for (let i = 0; i < times; i++) plain.observe(value);
    }
    expect(await bulkRegistry.metrics()).toBe(await plainRegistry.metrics());
    expect(await bulkRegistry.metrics()).toContain('lag_seconds_bucket{le="0.01"} 5');
  });

  it('ignores values that are not finite and empty weights; reset clears everything', async () => {
    const registry = new Registry();
    const bulk = new BulkHistogram({ name: 'h', help: 'h', buckets: BUCKETS, registers: [registry] });
    bulk.observe(Number.NaN, 3);
    bulk.observe(0.001, 0);
    bulk.observe(0.001);
    expect(await registry.metrics()).toContain('h_count 1');
    bulk.reset();
    expect(await registry.metrics()).toContain('h_count 0');
  });
});
