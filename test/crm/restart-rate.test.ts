import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/domain/call.ts';
import { parseCrmConfig } from '../../src/crm/config.ts';
import { planDeliveries } from '../../src/crm/plan.ts';
import { FakeBitrix } from '../support/fake-bitrix.ts';
import { callSnapshots, changesOf } from './helpers/calls.ts';
import { waitFor } from './helpers/harness.ts';
import { sharedDatabase, startOutboxProcess } from './helpers/outbox-process.ts';

// An engine delivering to Bitrix24 under load is killed with SIGKILL, its burst having filled the
// portal's bucket, and started again at once. The portal's bucket (the fake's, living in this process)
// outlives the engine: the new process must not burst into it. With a bucket that started full in
// every new process, the restart got 503 QUERY_LIMIT_EXCEEDED at once.
// The limiter does not depend on the database: embedded store only.

describe('Bitrix24 rate limit across a SIGKILL and a restart', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('the restarted engine never exceeds the portal bucket its predecessor filled', async () => {
    // Bitrix24's own limits: 2 requests/s, burst 50. The portal drains 2/s, so a restart within ~24 s
    // finds it still nearly full.
    const limit = { perSecond: 2, burst: 50 };
    const fake = await new FakeBitrix(limit).start();
    cleanups.push(() => fake.close());
    const crmInput = {
      bitrix24: { webhookUrl: fake.webhookUrl, defaultUserId: 1, showCard: 'never', rate: limit },
      outbox: { settleMs: 0, pollIntervalMs: 30, concurrency: 16, baseDelayMs: 200, maxDelayMs: 1000 },
    };
    const config = parseCrmConfig(crmInput);
    const { open, where } = await sharedDatabase('embedded', cleanups);
    const store = await open();
    await store.migrate();
    const calls: CallRecord[][] = Array.from({ length: 40 }, () => callSnapshots({ disposition: 'no_answer' }));
    for (const change of calls.flatMap(changesOf)) {
      await store.writeBatch({ events: [], calls: [change.current], merges: [], outbox: planDeliveries(config, change) });
    }
    await store.close();

    const first = startOutboxProcess({ ...where, crm: crmInput });
    cleanups.push(async () => first.child.kill('SIGKILL'));
    await first.ready;
    await waitFor(() => fake.served().length >= 3, 'the first engine to deliver', 60_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(fake.rejectedByLimit).toBe(0);
    // The portal is as the dying engine's burst left it (a process whose bucket was full when the calls
    // came): one short of full, so a request already on its way when the process died still fits.
    fake.setBucketLevel(limit.burst - 1);
    const servedBefore = fake.served().length;

    const second = startOutboxProcess({ ...where, crm: crmInput });
    cleanups.push(async () => second.child.kill('SIGKILL'));
    await second.ready;
    // Under way again: at the sustained rate this takes about 5 s; a burst would have taken a moment.
    await waitFor(() => fake.served().length >= servedBefore + 10, 'the restarted engine to deliver', 60_000);
    second.child.kill('SIGKILL');
    await second.exited;
    expect(fake.rejectedByLimit).toBe(0);
    expect(fake.maxLevel).toBeLessThanOrEqual(limit.burst);
  }, 150_000);
});
