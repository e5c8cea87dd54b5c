import { describe, expect, it } from 'vitest';
import { runSipp, sippCalls } from './support/sipp.ts';
import type { AriChannel } from './support/ari-driver.ts';
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
        () => sippCalls({ scenario: { file: 'uac_refer.xml' }, service: '301', calls: 1, target: sipTarget, extra: ['-key', 'refer_to', `sip:310@${sipTarget}`] }),
        { expectedTo: '301' },
      );
      expect(r.cel.some((c) => c.eventtype === 'BLINDTRANSFER')).toBe(true);
      expect(r.celCalls.size).toBe(1);
      expect(r.mismatches).toEqual([]);
    }, timeout);


    it('attended transfer by feature code: the caller presses *2, dials 600, and hangs up once 600 answered', async () => {
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

    it('attended transfer between two SIP calls: REFER with Replaces', async () => {
      const { sipTarget, driver, scenario } = e2e();
      const r = await scenario(
        async () => {
          const since = driver.eventCount();
          // Call B: sipp calls 301 and, once its leg is replaced by the transfer, takes Asterisk's BYE.
          const b = await runSipp({ scenario: { file: 'uac_bye_in.xml' }, service: '301', calls: 1, target: sipTarget, timeoutMs: 30_000 });
          try {
            const up = await driver.waitEvent(
              (e) => e.type === 'ChannelStateChange' && String(e.channel?.name).startsWith('PJSIP/sipp-') && (e.channel as { state?: string }).state === 'Up',
              30_000,
              'call B answered',
              since,
            );
            const bLeg = up.channel!.id;
            await driver.waitEvent((e) => e.type === 'ChannelEnteredBridge' && e.channel?.id === bLeg, 30_000, 'call B bridged', since);
            const variable = async (name: string): Promise<string> =>
              (await driver.request<{ value: string }>('GET', `/channels/${bLeg}/variable`, { variable: `CHANNEL(pjsip,${name})` })).value;
            // Replaces names call B's dialog as the transferor sees it: to-tag is Asterisk's, from-tag is sipp's.
            const replaces = `${await variable('call-id')};to-tag=${await variable('local_tag')};from-tag=${await variable('remote_tag')}`;
            const referTo = `sip:301@${sipTarget}?Replaces=${encodeURIComponent(replaces)}`;
            const transferred = driver.waitEvent((e) => e.type === 'BridgeAttendedTransfer', 30_000, 'BridgeAttendedTransfer', driver.eventCount());
            // Call A: sipp calls 301, then REFERs its callee to call B's dialog.
            await sippCalls({ scenario: { file: 'uac_refer.xml' }, service: '301', calls: 1, target: sipTarget, extra: ['-key', 'refer_to', referTo] });
            await transferred;
            const { code, output } = await b.done;
            if (code !== 0) throw new Error(`sipp (call B) exited ${code}:\n${output.slice(-2000)}`);
          } finally {
            b.kill();
          }
          // The two callees, now joined, would talk for an hour.
          await sleep(700);
          for (const ch of await driver.request<AriChannel[]>('GET', '/channels')) await driver.request('DELETE', `/channels/${ch.id}`).catch(() => undefined);
        },
        { expectedTo: '301' },
      );
      expect(r.cel.some((c) => c.eventtype === 'ATTENDEDTRANSFER')).toBe(true);
      expect(r.mismatches).toEqual([]);
    }, timeout);
  });
}
