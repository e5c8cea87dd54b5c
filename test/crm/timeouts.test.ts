import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { FakeBitrix } from '../support/fake-bitrix.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { callSnapshots } from './helpers/calls.ts';
import { closeAfterEach, drained, openHarness, sharedStore, TEST_SECRET, testCrmConfig, waitFor } from './helpers/harness.ts';

// A portal (and a subscriber) that accept requests and never answer, with many requests in flight and
// garbage collections forced all the while: every request must still end at its timeout. A timeout made
// of AbortSignal.any + AbortSignal.timeout never fired here once a collection had run.
// Timeouts do not depend on the database: embedded store only.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('request timeouts against targets that hold their answers', () => {
  const store = sharedStore('embedded');
  const track = closeAfterEach();

  it('every held request times out, with garbage collections forced under load, and nothing is lost', async () => {
    const fake = track(await new FakeBitrix({ perSecond: 1000, burst: 1000 }).start());
    const rx = track(await new WebhookReceiver(TEST_SECRET).start());
    const timeoutMs = 300;
    const config = testCrmConfig({
      webhooks: [{ name: 'erp', url: rx.url, secret: TEST_SECRET, rate: { perSecond: 1000, burst: 1000 } }],
      bitrix24: { webhookUrl: fake.webhookUrl, defaultUserId: 1, showCard: 'never', rate: { perSecond: 1000, burst: 1000 } },
      outbox: { timeoutMs, concurrency: 24, baseDelayMs: 50, maxDelayMs: 100 },
    });
    const h = track(openHarness(await store(), config));
    const calls = Array.from({ length: 12 }, () => callSnapshots().slice(0, 1));
    await h.feed(...calls);
    fake.setHolding(true);
    rx.setHolding(true);
    const collector = setInterval(gc, 25);
    try {
      h.crm.worker.start();
      // A bound on correctness, not a speed: 50 times the timeout. Without a working timeout the held
      // requests wait as long as the targets hold them (here: until the hold ends).
      const timedOut = await waitFor(async () => {
        const rows = await h.store.sql.query<{ sink: string; last_error: string | null }>("SELECT sink, last_error FROM outbox WHERE event_type = 'call.created'");
        return rows.length === 24 && rows.every((r) => /timed out/.test(r.last_error ?? '')) ? rows : null;
      }, 'every held request to time out', 50 * timeoutMs);
      expect(new Set(timedOut.map((r) => r.sink))).toEqual(new Set(['bitrix24', 'webhook:erp']));
      // The requests did reach the targets and were held there (retries keep adding to the count).
      await waitFor(() => fake.held.total >= 12 && rx.held.total >= 12, 'the targets to hold requests', 50 * timeoutMs);
    } finally {
      clearInterval(collector);
    }
    fake.setHolding(false);
    rx.setHolding(false);
    await drained(h.store);
    for (const [snap] of calls) {
      expect(fake.callsByExternalId(snap!.id)).toHaveLength(1);
      expect(rx.accepted().filter((r) => r.callId === snap!.id).map((r) => r.type)).toEqual(['call.created']);
    }
  }, 60_000);
});
