import { describe, expect, it } from 'vitest';
import { sippCalls } from './support/sipp.ts';
import { hangUp, originateAnswered } from './support/ari-scenarios.ts';
import { sleep } from './support/wait.ts';
import { skipNote, useAsteriskE2E, VARIANTS, asteriskSkipReason } from './support/e2e-env.ts';

// Transfers move channels between bridges (and, for attended ones, between linkedids): the engine's calls must
// still be CEL's linkedid partition.

for (const variant of VARIANTS) {
  describe.skipIf(asteriskSkipReason !== null)(`real Asterisk, transfers (${variant.title})${skipNote}`, () => {
    const e2e = useAsteriskE2E(variant);
    const timeout = 120_000;

    it('blind transfer: the caller REFERs the callee to 310', async () => {
      const { sipTarget, scenario } = e2e();
      const r = await scenario(
        () => sippCalls({ scenario: { file: 'uac_refer.xml' }, service: '301', calls: 1, target: sipTarget, extra: ['-key', 'target', '310'] }),
        { expectedTo: '301' },
      );
      expect(r.cel.some((c) => c.eventtype === 'BLINDTRANSFER')).toBe(true);
      expect(r.celCalls.size).toBe(1);
      expect(r.mismatches).toEqual([]);
    }, timeout);


    it('attended transfer: the caller presses *2, dials 600, and hangs up once 600 answered', async () => {
      const { driver, scenario } = e2e();
      const r = await scenario(
        async () => {
          // Local/800@transfer-caller: its ;2 half Dial()s Local/800@callee-answer with option T; DTMF sent to
          // the ;1 half over ARI is what ;2 reads, so ;2 is the transferer.
          const caller = await originateAnswered(driver, 'Local/800@transfer-caller', { callerId: '5550107' });
          const since = driver.eventCount();
          await driver.request('POST', `/channels/${caller.id}/dtmf`, { dtmf: '*2', between: '100' });
          await sleep(1000);
          await driver.request('POST', `/channels/${caller.id}/dtmf`, { dtmf: '600', between: '100' });
          await driver.waitEvent(
            (e) => e.type === 'ChannelStateChange' && String(e.channel?.name).startsWith('Local/600@xfer-target') && (e.channel as { state?: string }).state === 'Up',
            30_000,
            'the transfer target to answer',
            since,
          );
          const transferred = driver.waitEvent((e) => e.type === 'BridgeAttendedTransfer', 30_000, 'BridgeAttendedTransfer', since);
          await hangUp(driver, [caller]);
          await transferred;
        },
        { expectedTo: '800' },
      );
      expect(r.cel.some((c) => c.eventtype === 'ATTENDEDTRANSFER')).toBe(true);
      expect(r.mismatches).toEqual([]);
    }, timeout);
  });
}
