import { describe, expect, it } from 'vitest';
import { asteriskSkipReason } from '../asterisk/support/e2e-env.ts';
import { runSipp } from '../asterisk/support/sipp.ts';
import { sleep, until } from '../asterisk/support/wait.ts';
import { privatePostgresUnavailable } from '../support/private-postgres.ts';
import { startChaosWorld, type ChaosWorld } from './support/chaos-world.ts';

// Asterisk goes away with calls up. Restarted gracefully, it waits for the calls to end, then restarts: the
// engine records every call as Asterisk does, notes the window its socket was down and reconnects. Killed
// (kill -9), the calls die with it and Asterisk writes no end for them: the engine closes them at its resync
// after Asterisk is back, marked as closed by resync with an estimated end, and keeps what it knew of them.

const skipReason = asteriskSkipReason ?? privatePostgresUnavailable();
const note = skipReason ? ` [skipped: ${skipReason}]` : '';

async function callsUp(world: ChaosWorld, calls: number, holdMs: number): Promise<{ done: Promise<{ code: number | null }> }> {
  const run = await runSipp({ scenario: { builtin: 'uac' }, service: '301', target: world.sipTarget, calls, extra: ['-d', String(holdMs), '-r', '10', '-l', String(calls)], timeoutMs: holdMs + 60_000 });
  // Every call answered: 301 answers after 1 s.
  await until(async () => (await world.driver.request<{ state: string }[]>('GET', '/channels')).filter((c) => c.state === 'Up').length >= calls * 2, 60_000, `${calls} calls up`);
  return { done: run.done };
}

/** When the running Asterisk process started (ARI's asterisk/info). */
async function startupTime(world: ChaosWorld): Promise<string> {
  return (await world.driver.request<{ status: { startup_time: string } }>('GET', '/asterisk/info')).status.startup_time;
}

describe.skipIf(skipReason !== null)(`chaos: Asterisk restarts with calls up${note}`, () => {
  it('graceful restart: the calls end as Asterisk ends them, the window is recorded, the engine reconnects', async () => {
    const world = await startChaosWorld();
    try {
      const startedAt = await startupTime(world);
      const sipp = await callsUp(world, 6, 6_000);
      await world.asterisk.cli('core restart gracefully');
      expect((await sipp.done).code).toBe(0);
      // The restart comes once the last call has ended: wait for the new process, not the old one's answers.
      // Asterisk restarts by exec'ing itself; should the process end instead, it is started again, as the
      // service manager of a real PBX would.
      await until(async () => world.asterisk.exited() || (await startupTime(world).catch(() => startedAt)) !== startedAt, 60_000, 'Asterisk to restart');
      if (world.asterisk.exited()) await world.asterisk.start();
      await world.asterisk.waitBooted();
      await until(async () => (await world.asterisk.cli('ari show apps')).includes('callflow'), 60_000, 'the engine to reconnect');
      const result = await world.settle({ expectedTo: '301', settleMs: 120_000 });
      expect(result.celCalls.size).toBe(6);
      expect(result.mismatches).toEqual([]);
      await until(async () => (await world.gaps()).length > 0, 30_000, 'the gap to be recorded');
      expect(await world.gaps()).toEqual([expect.objectContaining({ server: 'ast', reason: 'disconnected' })]);
    } finally {
      await world.stop();
    }
  }, 300_000);

  it('kill -9: the calls it took down are closed at resync, marked, with what the engine knew of them', async () => {
    const world = await startChaosWorld();
    try {
      const sipp = await callsUp(world, 4, 60_000);
      await sleep(1_000);
      await world.asterisk.kill();
      sipp.done.catch(() => undefined);
      await world.asterisk.start();
      await until(async () => (await world.asterisk.cli('ari show apps')).includes('callflow'), 60_000, 'the engine to reconnect');
      const calls = await world.engineCalls();
      await until(async () => (await world.engineCalls()).every((c) => c.status === 'finished'), 60_000, 'the engine to close the calls');
      const closed = await world.engineCalls();
      expect(calls.length).toBe(4);
      for (const call of closed) {
        expect(call).toMatchObject({ status: 'finished', closedBy: 'resync', endEstimated: true, disposition: 'answered', to: '301' });
        expect(call.from).toBe('sipp');
        expect(call.answeredAt).not.toBeNull();
      }
      expect(await world.gaps()).toEqual([expect.objectContaining({ server: 'ast', reason: 'disconnected' })]);
    } finally {
      await world.stop();
    }
  }, 300_000);
});
