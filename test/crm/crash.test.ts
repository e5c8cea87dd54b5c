import { afterEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/domain/call.ts';
import { planDeliveries } from '../../src/crm/plan.ts';
import { parseCrmConfig } from '../../src/crm/config.ts';
import { FakeBitrix } from '../support/fake-bitrix.ts';
import { storeKinds, type StoreKind } from '../support/test-store.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { callSnapshots, changesOf } from './helpers/calls.ts';
import { TEST_SECRET, waitFor } from './helpers/harness.ts';
import { sharedDatabase, startOutboxProcess as startChild } from './helpers/outbox-process.ts';

// The delivering process is killed with SIGKILL while deliveries are in flight, then started again:
// every update still arrives; the only repeats are the interrupted ones, with the same event ids.

describe.each(storeKinds())('crash during delivery on %s', (kind: StoreKind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('delivers every missing update after a SIGKILL and a restart, none lost', async () => {
    const fake = await new FakeBitrix({ perSecond: 200, burst: 200 }).start();
    const rx = await new WebhookReceiver(TEST_SECRET).start();
    cleanups.push(() => fake.close(), () => rx.close());
    fake.delayMs = 40;
    rx.delayMs = 150;
    const crmInput = {
      webhooks: [{ name: 'erp', url: rx.url, secret: TEST_SECRET }],
      bitrix24: { webhookUrl: fake.webhookUrl, defaultUserId: 1, showCard: 'never', rate: { perSecond: 200, burst: 200 } },
      outbox: { settleMs: 0, pollIntervalMs: 30, leaseMs: 1000, concurrency: 6, baseDelayMs: 50, maxDelayMs: 200 },
    };
    const config = parseCrmConfig(crmInput);

    const { open, where } = await sharedDatabase(kind, cleanups);
    const calls: CallRecord[][] = Array.from({ length: 12 }, () => callSnapshots());
    const store = await open();
    await store.migrate();
    for (const change of calls.flatMap(changesOf)) {
      await store.writeBatch({ events: [], calls: [change.current], merges: [], outbox: planDeliveries(config, change) });
    }
    const queued = await store.sql.query<{ idempotency_key: string; sink: string }>('SELECT idempotency_key, sink FROM outbox');
    const expectedIds = queued.filter((r) => r.sink === 'webhook:erp').map((r) => r.idempotency_key);
    await store.close();

    const first = startChild({ ...where, crm: crmInput });
    cleanups.push(async () => first.child.kill('SIGKILL'));
    await first.ready;
    await waitFor(() => rx.received.length >= 8, 'deliveries under way', 30_000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const beforeRestart = rx.received.length;
    expect(beforeRestart).toBeLessThan(expectedIds.length);

    const second = startChild({ ...where, crm: crmInput });
    cleanups.push(async () => second.child.kill('SIGKILL'));
    expect(await second.exited).toBe(0);

    // Webhooks: every event arrived; repeats only of interrupted deliveries, with the same id; in order per call.
    const ids = rx.received.map((r) => r.id);
    expect(new Set(ids)).toEqual(new Set(expectedIds));
    // Some deliveries were in flight at the kill (received, never acknowledged) and came again.
    expect(ids.length).toBeGreaterThan(expectedIds.length);
    expect(rx.received.every((r) => r.verification.valid)).toBe(true);
    for (const snaps of calls) {
      const firstArrivals = [...new Set(rx.received.filter((r) => r.callId === snaps[0]!.id).map((r) => r.type))];
      expect(firstArrivals).toEqual(['call.created', 'call.answered', 'call.finished']);
    }
    // Bitrix24: every call finished exactly once, under its own EXTERNAL_CALL_ID.
    for (const snaps of calls) {
      const bitrix = fake.callsByExternalId(snaps[0]!.id);
      expect(bitrix.filter((c) => c.finish !== null)).toHaveLength(1);
    }
    const reopened = await open();
    cleanups.push(() => reopened.close());
    const rows = await reopened.sql.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM outbox GROUP BY status');
    expect(rows.map((r) => [r.status, Number(r.n)])).toEqual([['delivered', queued.length]]);
  }, 90_000);
});
