import { describe, expect, it } from 'vitest';
import { RefreshingCache } from './refreshing-cache.ts';

// A tenant's routing is served from a copy refreshed in the background, and read anew at once after a change.

function source() {
  let version = 1;
  let loads = 0;
  let fail = false;
  const gates: (() => void)[] = [];
  let gated = false;
  return {
    load: async (key: string) => {
      loads++;
      if (gated) await new Promise<void>((r) => gates.push(r));
      if (fail) throw new Error('database gone');
      return `${key}@v${version}`;
    },
    bump: () => version++,
    loads: () => loads,
    setFail: (f: boolean) => (fail = f),
    gate: () => (gated = true),
    release: () => {
      gated = false;
      for (const r of gates.splice(0)) r();
    },
  };
}

describe('refreshing cache', () => {
  it('serves a copy within its age, then the old copy while a newer one is read, then the newer one', async () => {
    let now = 0;
    const src = source();
    const cache = new RefreshingCache(src.load, 2_000, () => now);
    expect(await cache.get('t1')).toBe('t1@v1');
    now = 1_000;
    src.bump();
    expect(await cache.get('t1')).toBe('t1@v1');
    expect(src.loads()).toBe(1);
    now = 3_000;
    src.gate();
    // Past its age: the old copy now, a read in the background (only one, however many ask).
    expect(await cache.get('t1')).toBe('t1@v1');
    expect(await cache.get('t1')).toBe('t1@v1');
    expect(src.loads()).toBe(2);
    src.release();
    await new Promise((r) => setImmediate(r));
    expect(await cache.get('t1')).toBe('t1@v2');
  });

  it('reads a dropped key before serving it, and does not keep a read that a drop overtook', async () => {
    const src = source();
    const cache = new RefreshingCache(src.load, 60_000);
    expect(await cache.get('t1')).toBe('t1@v1');
    src.bump();
    cache.drop('t1');
    expect(await cache.get('t1')).toBe('t1@v2');
    // A read in flight when the key is dropped: its answer is used by its own callers, not kept.
    src.gate();
    cache.drop('t1');
    const inFlight = cache.get('t1');
    cache.drop('t1');
    src.bump();
    src.release();
    expect(await inFlight).toBe('t1@v3');
    src.release();
    expect(await cache.get('t1')).toBe('t1@v3');
    expect(src.loads()).toBe(4);
  });

  it('keeps no failed read: the next use tries again', async () => {
    const src = source();
    const cache = new RefreshingCache(src.load, 60_000);
    src.setFail(true);
    await expect(cache.get('t1')).rejects.toThrow('database gone');
    src.setFail(false);
    expect(await cache.get('t1')).toBe('t1@v1');
  });
});
