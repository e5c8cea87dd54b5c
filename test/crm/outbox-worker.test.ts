import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/app/logger.ts';
import { retryDelivery, replayCallDeliveries } from '../../src/crm/deliveries.ts';
import { createOutboxWorker } from '../../src/crm/outbox-worker.ts';
import { claimDue } from '../../src/crm/outbox-sql.ts';
import { storeKinds } from '../support/test-store.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { callSnapshots } from './helpers/calls.ts';
import { closeAfterEach, drained, openHarness, outboxCounts, sharedStore, TEST_SECRET, testCrmConfig, waitFor } from './helpers/harness.ts';

const EVENTS = ['call.created', 'call.answered', 'call.finished'];

describe.each(storeKinds())('outbox worker on %s', (kind) => {
  const store = sharedStore(kind);
  const track = closeAfterEach();

  async function setup(outbox: Record<string, unknown> = {}) {
    const rx = track(await new WebhookReceiver(TEST_SECRET).start());
    const config = testCrmConfig({ webhooks: [{ name: 'erp', url: rx.url, secret: TEST_SECRET }], outbox });
    const h = track(openHarness(await store(), config));
    return { h, rx };
  }

  const eventsOf = (r: WebhookReceiver, callId: string) => r.received.filter((x) => x.callId === callId).map((x) => x.type);

  it('delivers every change signed, with stable ids, in order per call', async () => {
    const { h, rx } = await setup();
    const calls = Array.from({ length: 8 }, () => callSnapshots());
    h.crm.worker.start();
    await h.feed(...calls);
    await drained(h.store);
    for (const snaps of calls) {
      const id = snaps[0]!.id;
      expect(eventsOf(rx, id)).toEqual(EVENTS);
      expect(rx.received.filter((x) => x.callId === id).map((x) => x.id)).toEqual(EVENTS.map((e) => `webhook:erp:${id}:${e}`));
    }
    expect(rx.received.every((r) => r.verification.valid)).toBe(true);
    const finished = rx.received.find((r) => r.type === 'call.finished')!;
    expect(finished.body).toMatchObject({ call: { status: 'finished' } });
    expect(typeof finished.body.time).toBe('string');
  });

  it('holds call.created for the settle time, so a call merged away meanwhile is never sent', async () => {
    const { h, rx } = await setup({ settleMs: 800 });
    const absorbed = callSnapshots();
    const survivor = callSnapshots();
    h.crm.worker.start();
    await h.feed([absorbed[0]!], [survivor[0]!]);
    await h.store.writeBatch({ events: [], calls: [], merges: [{ from: absorbed[0]!.id, into: survivor[0]!.id }], outbox: [] });
    await waitFor(() => rx.received.length >= 1, 'the survivor to be delivered');
    await drained(h.store);
    expect(eventsOf(rx, absorbed[0]!.id)).toEqual([]);
    expect(eventsOf(rx, survivor[0]!.id)).toEqual(['call.created']);
  });

  it('retries a failing subscriber with backoff until it accepts', async () => {
    const { h, rx } = await setup();
    rx.failNext(500, 503, 400);
    const snaps = callSnapshots({ disposition: 'no_answer' });
    h.crm.worker.start();
    await h.feed(snaps);
    await drained(h.store);
    expect(rx.accepted().map((r) => r.type)).toEqual(['call.created', 'call.finished']);
    const first = rx.received.filter((r) => r.type === 'call.created');
    expect(first.map((r) => r.status)).toEqual([500, 503, 400, 204]);
    expect(first.map((r) => r.headers['callflow-delivery-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(new Set(first.map((r) => r.id)).size).toBe(1);
  });

  it('moves a delivery to the dead letters after maxAgeMs, with those queued behind it; retry sends them in order', async () => {
    const { h, rx } = await setup({ maxAgeMs: 600 });
    rx.setDown(true);
    const snaps = callSnapshots({ disposition: 'busy' });
    h.crm.worker.start();
    await h.feed(snaps);
    const counts = await waitFor(async () => {
      const c = await outboxCounts(h.store);
      return c.dead === 2 ? c : null;
    }, 'both deliveries to be dead');
    expect(counts.pending ?? 0).toBe(0);
    const dead = await h.store.sql.query<{ id: number; event_type: string; last_error: string }>(
      "SELECT id, event_type, last_error FROM outbox WHERE status = 'dead' ORDER BY id",
    );
    expect(dead[0]!.last_error).toMatch(/request failed|timed out/);
    expect(dead[1]!.last_error).toMatch(/blocked/);

    rx.setDown(false);
    const revived = await retryDelivery(h.store.sql, Number(dead[0]!.id));
    expect(revived.map((r) => r.eventType)).toEqual(['call.created', 'call.finished']);
    h.crm.worker.wake();
    await drained(h.store);
    expect(rx.accepted().map((r) => r.type)).toEqual(['call.created', 'call.finished']);
    await expect(retryDelivery(h.store.sql, Number(dead[0]!.id))).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    await expect(retryDelivery(h.store.sql, 999_999)).rejects.toMatchObject({ code: 'CF_DELIVERY_NOT_FOUND' });
  });

  it('replays a call: every delivery again, same ids, same order', async () => {
    const { h, rx } = await setup();
    const snaps = callSnapshots();
    h.crm.worker.start();
    await h.feed(snaps);
    await drained(h.store);
    const replayed = await replayCallDeliveries(h.store.sql, snaps[0]!.id);
    expect(replayed).toHaveLength(3);
    h.crm.worker.wake();
    await waitFor(() => rx.received.length === 6, 'the replay');
    expect(eventsOf(rx, snaps[0]!.id)).toEqual([...EVENTS, ...EVENTS]);
    expect(rx.accepted()).toHaveLength(3);
  });

  it("takes over a crashed worker's claim once its lease runs out", async () => {
    const { h, rx } = await setup({ leaseMs: 400 });
    await h.feed(callSnapshots({ disposition: 'no_answer' }));
    await new Promise((r) => setTimeout(r, 60)); // settle
    const stolen = await claimDue(h.store.sql, { sinks: ['webhook:erp'], limit: 10, settleMs: 0, leaseMs: 400 });
    expect(stolen.map((d) => d.eventType)).toEqual(['call.created']);
    // A replay would let earlier rows overtake the one in flight: refused until it is done.
    await expect(replayCallDeliveries(h.store.sql, stolen[0]!.callId)).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    // Nothing can go while the claim holds: not the claimed row, nor the finish behind it.
    expect(await h.crm.worker.runOnce()).toBe(0);
    await waitFor(async () => (await h.crm.worker.runOnce()) > 0, 'the lease to expire');
    h.crm.worker.start();
    await drained(h.store);
    expect(rx.accepted().map((r) => r.type)).toEqual(['call.created', 'call.finished']);
    const rows = await h.store.sql.query<{ attempts: number }>("SELECT attempts FROM outbox WHERE event_type = 'call.created'");
    expect(Number(rows[0]!.attempts)).toBe(2);
  });

  it('several workers share the outbox without breaking per-call order or losing a delivery', async () => {
    const { h, rx } = await setup({ concurrency: 4 });
    rx.delayMs = 5;
    const calls = Array.from({ length: 25 }, () => callSnapshots());
    const config = testCrmConfig({ webhooks: [{ name: 'erp', url: rx.url, secret: TEST_SECRET }], outbox: { concurrency: 4 } });
    const others = [1, 2].map(() =>
      createOutboxWorker({ sql: h.store.sql, sinks: h.crm.sinks, config: config.outbox, logger: silentLogger() }),
    );
    h.crm.worker.start();
    others.forEach((w) => w.start());
    await h.feed(...calls);
    await drained(h.store);
    await Promise.all(others.map((w) => w.stop()));
    for (const snaps of calls) expect(eventsOf(rx, snaps[0]!.id)).toEqual(EVENTS);
    expect(rx.received).toHaveLength(75);
  });

  it('reports backlog, dead letters and latency as metrics', async () => {
    const { h, rx } = await setup({ maxAgeMs: 300 });
    h.crm.worker.start();
    await h.feed(callSnapshots({ disposition: 'no_answer' }));
    await drained(h.store);
    rx.setDown(true);
    await h.feed(callSnapshots({ disposition: 'no_answer' }));
    await waitFor(async () => (await outboxCounts(h.store)).dead === 2, 'dead letters');
    const text = await h.registry.metrics();
    expect(text).toMatch(/callflow_outbox_dead\{sink="webhook:erp"\} 2/);
    expect(text).toMatch(/callflow_outbox_pending\{sink="webhook:erp"\} 0/);
    expect(text).toMatch(/callflow_outbox_delivery_latency_seconds_count\{sink="webhook:erp"\} 2/);
    expect(text).toMatch(/callflow_outbox_attempts_total\{sink="webhook:erp",result="dead"\} [1-9]/);
    expect(await h.crm.health()).toEqual({
      sinks: [{ name: 'webhook:erp', breakerOpen: false, pending: 0, failing: 0, dead: 2, oldestPendingSec: null, lastDeadError: expect.stringMatching(/^CF_CRM_REQUEST_FAILED: webhook:erp: /) }],
    });
  });
});
