import { describe, expect, it } from 'vitest';
import { sippCalls } from './support/sipp.ts';
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

  });
}
