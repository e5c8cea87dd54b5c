import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/app/logger.ts';
import { createCrm } from '../../src/crm/crm-service.ts';
import { createRedisRateLimiter } from '../../src/crm/flow/redis-rate-limiter.ts';
import { FakeBitrix } from '../support/fake-bitrix.ts';
import { callSnapshots } from './helpers/calls.ts';
import { closeAfterEach, drained, openHarness, sharedStore, testCrmConfig } from './helpers/harness.ts';

// Rate limits shared by several engine instances through Redis (runs when REDIS_URL is set).

const redisUrl = process.env.REDIS_URL;

describe.skipIf(!redisUrl)('Redis rate limiter', () => {
  const prefix = `callflow-test:${randomUUID()}:`;
  const clients: Redis[] = [];
  const client = () => {
    const c = new Redis(redisUrl as string, { lazyConnect: false, maxRetriesPerRequest: 2 });
    clients.push(c);
    return c;
  };
  afterAll(async () => {
    const c = client();
    const keys = await c.keys(`${prefix}*`);
    if (keys.length) await c.del(...keys);
    await Promise.all(clients.map((x) => x.quit()));
  });

  it('two instances drawing from one bucket stay within burst + rate × window together', async () => {
    const limit = { perSecond: 20, burst: 5 };
    const limiters = [createRedisRateLimiter(client(), { keyPrefix: prefix }), createRedisRateLimiter(client(), { keyPrefix: prefix })];
    const times: number[] = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => limiters[i % 2]!.acquire('portal-a', limit).then(() => times.push(Date.now() - started))),
    );
    times.sort((a, b) => a - b);
    for (const t of times) {
      const inWindow = times.filter((x) => x >= t && x < t + 500).length;
      expect(inWindow).toBeLessThanOrEqual(4 + 10 + 1);
    }
    // 4 at once (one token spare), the other 26 at 20/s.
    expect(times[times.length - 1]!).toBeGreaterThanOrEqual(1250);
  });

  it("a key Redis does not have assumes the target's bucket full: the first request waits, nothing bursts", async () => {
    // Capacity 7 of 10 (3 spare): the spare and one token must drain at 10/s before the first request.
    const limit = { perSecond: 10, burst: 10 };
    const limiter = createRedisRateLimiter(client(), { keyPrefix: prefix });
    const started = Date.now();
    await limiter.acquire('portal-fresh', limit);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it("a pause one instance records holds the other instance's requests", async () => {
    const limit = { perSecond: 100, burst: 10 };
    const a = createRedisRateLimiter(client(), { keyPrefix: prefix });
    const b = createRedisRateLimiter(client(), { keyPrefix: prefix });
    await a.pause('portal-b', limit, 300);
    const started = Date.now();
    await b.acquire('portal-b', limit);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  describe('two engine instances against one portal', () => {
    const store = sharedStore('embedded');
    const track = closeAfterEach();

    it('never exceed the portal limit together', async () => {
      const fake = track(await new FakeBitrix({ perSecond: 10, burst: 5 }).start());
      const config = testCrmConfig({ bitrix24: { webhookUrl: fake.webhookUrl, defaultUserId: 1, showCard: 'never', rate: { perSecond: 10, burst: 5 } } });
      const ts = await store();
      const h = track(openHarness(ts, config, { redis: client(), redisKeyPrefix: prefix }));
      const second = track(createCrm({ config, sql: ts.store.sql, logger: silentLogger(), redis: client(), redisKeyPrefix: prefix }));
      h.crm.worker.start();
      second.worker.start();
      const list = Array.from({ length: 12 }, () => callSnapshots({ disposition: 'no_answer' }));
      await h.feed(...list);
      second.worker.wake();
      await drained(h.store);
      expect(list.every((c) => fake.callsByExternalId(c[0]!.id)[0]?.finish)).toBe(true);
      expect(fake.rejectedByLimit).toBe(0);
      expect(fake.maxLevel).toBeLessThanOrEqual(5);
    });
  });
});
