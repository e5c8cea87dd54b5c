import { describe, expect, it } from 'vitest';
import { FakeBitrix, type FakeBitrixOptions } from '../support/fake-bitrix.ts';
import { callSnapshots } from './helpers/calls.ts';
import { closeAfterEach, drained, openHarness, outboxCounts, sharedStore, testCrmConfig, waitFor } from './helpers/harness.ts';

// Flow control does not depend on the database: these run on the embedded store only.

describe('flow control towards Bitrix24', () => {
  const store = sharedStore('embedded');
  const track = closeAfterEach();

  async function setup(rate: { perSecond: number; burst: number }, fakeOptions: FakeBitrixOptions, outbox: Record<string, unknown> = {}) {
    const fake = track(await new FakeBitrix(fakeOptions).start());
    const config = testCrmConfig({
      bitrix24: { webhookUrl: fake.webhookUrl, defaultUserId: 1, showCard: 'never', rate },
      outbox: { concurrency: 8, ...outbox },
    });
    const h = track(openHarness(await store(), config));
    h.crm.worker.start();
    return { h, fake };
  }

  const calls = (n: number) => Array.from({ length: n }, () => callSnapshots({ disposition: 'no_answer' }));
  const allFinished = (f: FakeBitrix, list: ReturnType<typeof calls>) => list.every((c) => f.callsByExternalId(c[0]!.id)[0]?.finish);

  it('keeps within the portal limit it is configured with: no 503 at all', async () => {
    const { h, fake } = await setup({ perSecond: 10, burst: 5 }, { perSecond: 10, burst: 5 });
    const list = calls(10);
    await h.feed(...list);
    await drained(h.store);
    expect(allFinished(fake, list)).toBe(true);
    expect(fake.rejectedByLimit).toBe(0);
    expect(fake.maxLevel).toBeLessThanOrEqual(5);
    expect(fake.served()).toHaveLength(20);
  });

  it('backs off on 503 QUERY_LIMIT_EXCEEDED when the portal is stricter than configured, and loses nothing', async () => {
    const { h, fake } = await setup({ perSecond: 100, burst: 100 }, { perSecond: 10, burst: 3 });
    const list = calls(8);
    await h.feed(...list);
    await drained(h.store);
    expect(fake.rejectedByLimit).toBeGreaterThan(0);
    expect(allFinished(fake, list)).toBe(true);
    expect(await outboxCounts(h.store)).toEqual({ delivered: 16 });
  });

  it('pauses after 429 OPERATION_TIME_LIMIT and 503 OVERLOAD_LIMIT, then carries on', async () => {
    const { h, fake } = await setup({ perSecond: 100, burst: 100 }, { perSecond: 100, burst: 100 });
    fake.inject(1, { status: 429, error: 'OPERATION_TIME_LIMIT', description: 'Method is blocked due to operation time limit.' });
    fake.inject(1, { status: 503, error: 'OVERLOAD_LIMIT', description: 'REST API is blocked due to overload.' });
    const list = calls(1);
    await h.feed(...list);
    await drained(h.store);
    expect(allFinished(fake, list)).toBe(true);
    const [limited, overloaded, next] = fake.requests;
    expect([limited!.error, overloaded!.error, next!.status]).toEqual(['OPERATION_TIME_LIMIT', 'OVERLOAD_LIMIT', 200]);
    // The pause doubles: 100 ms after the first answer, 200 ms after the second.
    expect(overloaded!.atMs - limited!.atMs).toBeGreaterThanOrEqual(90);
    expect(next!.atMs - overloaded!.atMs).toBeGreaterThanOrEqual(190);
    // Handled inside one delivery attempt: the outbox saw no failure.
    const rows = await h.store.sql.query<{ attempts: number }>("SELECT attempts FROM outbox WHERE event_type = 'call.created'");
    expect(Number(rows[0]!.attempts)).toBe(1);
  });

  it('opens the circuit breaker after repeated failures, sends nothing while open, recovers after', async () => {
    const { h, fake } = await setup({ perSecond: 100, burst: 100 }, { perSecond: 100, burst: 100 }, { breakerFailures: 3, breakerHalfOpenMs: 600, baseDelayMs: 10, maxDelayMs: 20 });
    fake.inject(1000, 'reset');
    const list = calls(2);
    await h.feed(...list);
    const sink = h.crm.sinks.find((s) => s.name === 'bitrix24')!;
    await waitFor(() => sink.readyInMs() > 0, 'the breaker to open');
    // A request sent just before the breaker opened may reach the fake just after: let it land first (the
    // breaker stays open for 600 ms, well past this and the 300 ms watched below).
    await new Promise((r) => setTimeout(r, 50));
    const tried = fake.requests.length;
    // Three failures open it; the other call's request may already have been on its way.
    expect(tried).toBeGreaterThanOrEqual(3);
    expect(tried).toBeLessThanOrEqual(4);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.requests.length).toBe(tried);
    fake.clearInjections();
    await drained(h.store);
    expect(allFinished(fake, list)).toBe(true);
    // Attempts refused by the open breaker do not count against the deliveries.
    const rows = await h.store.sql.query<{ attempts: number }>('SELECT max(attempts)::int AS attempts FROM outbox');
    expect(Number(rows[0]!.attempts)).toBeLessThanOrEqual(3);
  });
});
