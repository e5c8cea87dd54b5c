import { describe, expect, it } from 'vitest';
import { runSipp } from './support/sipp.ts';
import { skipNote, useAsteriskE2E, VARIANTS, asteriskSkipReason } from './support/e2e-env.ts';

// Many calls at once: sipp places 200 calls to 301 (Dial() of a callee that answers after 1 s) at a bounded
// rate and concurrency, and every one of them must match its CEL/CDR record.

for (const variant of VARIANTS) {
  describe.skipIf(asteriskSkipReason !== null)(`real Asterisk, a burst of calls (${variant.title})${skipNote}`, () => {
    const e2e = useAsteriskE2E(variant);
    it('a burst of 200 answered calls, rate-limited', async () => {
      const { sipTarget, scenario } = e2e();
      const r = await scenario(
        async () => {
          const run = await runSipp({ scenario: { builtin: 'uac' }, service: '301', extra: ['-d', '300', '-r', '25', '-l', '60'], calls: 200, target: sipTarget, timeoutMs: 90_000 });
          const { code, output } = await run.done;
          if (code !== 0) throw new Error(`sipp burst exited ${code}:\n${output.slice(-3000)}`);
        },
        { expectedTo: '301', settleMs: 120_000 },
      );
      expect(r.celCalls.size).toBe(200);
      expect([...r.calls.values()].filter((c) => c.disposition === 'answered')).toHaveLength(200);
      expect(r.mismatches).toEqual([]);
    }, 240_000);
  });
}
