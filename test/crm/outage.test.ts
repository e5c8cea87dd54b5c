import { describe, expect, it } from 'vitest';
import { FakeBitrix } from '../support/fake-bitrix.ts';
import { storeKinds } from '../support/test-store.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { callSnapshots } from './helpers/calls.ts';
import { closeAfterEach, drained, openHarness, sharedStore, TEST_SECRET, testCrmConfig } from './helpers/harness.ts';

// The CRMs go away while calls keep happening, then come back: every update arrives, in order per call.

describe.each(storeKinds())('CRM outage on %s', (kind) => {
  const store = sharedStore(kind);
  const track = closeAfterEach();

  it('delivers everything queued during the outage once the targets are back', async () => {
    const fake = track(await new FakeBitrix({ perSecond: 50, burst: 20 }).start());
    const rx = track(await new WebhookReceiver(TEST_SECRET).start());
    const config = testCrmConfig({
      webhooks: [{ name: 'erp', url: rx.url, secret: TEST_SECRET }],
      bitrix24: { webhookUrl: fake.webhookUrl, defaultUserId: 1, showCard: 'never', rate: { perSecond: 50, burst: 20 } },
      outbox: { breakerFailures: 3, breakerHalfOpenMs: 300, baseDelayMs: 50, maxDelayMs: 300 },
    });
    const h = track(openHarness(await store(), config));
    h.crm.worker.start();

    const before = Array.from({ length: 3 }, () => callSnapshots());
    await h.feed(...before);
    await drained(h.store);

    fake.setDown(true);
    rx.setDown(true);
    const during = Array.from({ length: 12 }, (_, i) => callSnapshots({ disposition: i % 3 === 0 ? 'busy' : 'answered' }));
    // Calls keep coming in while the CRMs are away (several snapshots per call, interleaved).
    for (let i = 0; i < during.length; i += 4) {
      await h.feed(...during.slice(i, i + 4));
      await new Promise((r) => setTimeout(r, 400));
    }
    // A breaker opens after its failures and half-opens 300 ms later: wait (bounded) until one is seen open,
    // rather than sampling one instant that a busy machine may land in a half-open window.
    let sinksDown = 0;
    for (const deadline = Date.now() + 20_000; sinksDown === 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
      sinksDown = h.crm.sinks.filter((s) => s.readyInMs() > 0).length;
    }
    fake.setDown(false);
    rx.setDown(false);
    await drained(h.store, 30_000);

    expect(sinksDown).toBeGreaterThan(0);
    for (const snaps of [...before, ...during]) {
      const id = snaps[0]!.id;
      const expected = snaps[snaps.length - 1]!.answeredAt ? ['call.created', 'call.answered', 'call.finished'] : ['call.created', 'call.finished'];
      // Everything the subscriber acknowledged, in arrival order, is the call's history in order.
      expect(rx.received.filter((r) => r.callId === id && r.status === 204).map((r) => r.type)).toEqual(expected);
      const bitrix = fake.callsByExternalId(id);
      expect(bitrix).toHaveLength(1);
      expect(bitrix[0]!.finish).not.toBeNull();
    }
  });
});
