import { describe, expect, it } from 'vitest';
import { sippCalls } from './support/sipp.ts';
import { skipNote, useAsteriskE2E, VARIANTS, asteriskSkipReason } from './support/e2e-env.ts';

// SIP calls from sipp through the dialplan (test/asterisk/config/extensions.conf, context from-sipp), each
// compared with Asterisk's CEL and CDR: outcomes, and who ends the call.

for (const variant of VARIANTS) {
  describe.skipIf(asteriskSkipReason !== null)(`real Asterisk, SIP calls (${variant.title})${skipNote}`, () => {
    const e2e = useAsteriskE2E(variant);
    // Bounds only (scenario waits are bounded themselves); each of these takes a few seconds.
    const timeout = 120_000;
    const uac = (service: string, extra: string[] = []) => ({ scenario: { builtin: 'uac' }, service, calls: 1, extra });

    it('answered by a dialled callee, the caller sends BYE', async () => {
      const { sipTarget, scenario } = e2e();
      const r = await scenario(() => sippCalls({ ...uac('301', ['-d', '1000']), target: sipTarget }), { expectedTo: '301' });
      expect(r.celCalls.size).toBe(1);
      expect([...r.calls.values()][0]?.disposition).toBe('answered');
      expect(r.mismatches).toEqual([]);
    }, timeout);

    it('answered by the dialplan, Asterisk sends BYE', async () => {
      const { sipTarget, scenario } = e2e();
      const r = await scenario(() => sippCalls({ scenario: { file: 'uac_bye_in.xml' }, service: '201', calls: 1, target: sipTarget }), { expectedTo: '201' });
      expect(r.celCalls.size).toBe(1);
      const hangup = r.cel.find((c) => c.eventtype === 'HANGUP');
      expect(JSON.parse(hangup!.eventextra).hangupsource).not.toMatch(/^PJSIP\/sipp/);
      expect(r.mismatches).toEqual([]);
    }, timeout);

    for (const [service, outcome, cdr] of [
      ['302', 'busy', 'BUSY'],
      ['303', 'no_answer', 'NO ANSWER'],
      ['304', 'congestion', 'CONGESTION'],
    ] as const) {
      it(`${outcome.replace('_', ' ')}: Dial() of ${service} ends ${cdr}`, async () => {
        const { sipTarget, scenario } = e2e();
        const r = await scenario(() => sippCalls({ scenario: { file: 'uac_refused.xml' }, service, calls: 1, target: sipTarget }), { expectedTo: service });
        expect(r.celCalls.size).toBe(1);
        expect(r.cdr.find((row) => row.channel.startsWith('PJSIP/sipp'))?.disposition).toBe(cdr);
        expect([...r.calls.values()][0]?.disposition).toBe(outcome);
        expect(r.mismatches).toEqual([]);
      }, timeout);
    }

    it('SIP CANCEL from the caller while the callee rings', async () => {
      const { sipTarget, scenario } = e2e();
      const r = await scenario(() => sippCalls({ scenario: { file: 'uac_cancel.xml' }, service: '305', calls: 1, target: sipTarget, extra: ['-d', '1000'] }), {
        expectedTo: '305',
      });
      expect(r.celCalls.size).toBe(1);
      expect([...r.calls.values()][0]?.disposition).toBe('cancelled');
      expect(r.mismatches).toEqual([]);
    }, timeout);

    it('hold and resume by re-INVITE in an answered call', async () => {
      const { sipTarget, scenario, engine } = e2e();
      const r = await scenario(() => sippCalls({ scenario: { file: 'uac_hold.xml' }, service: '301', calls: 1, target: sipTarget }), { expectedTo: '301' });
      expect(r.celCalls.size).toBe(1);
      expect(r.mismatches).toEqual([]);
      const callId = [...r.calls.keys()][0]!;
      const types = (await engine.app.store.getEvents(callId)).map((e) => e.type);
      expect(types).toContain('ChannelHold');
      expect(types).toContain('ChannelUnhold');
    }, timeout);
  });
}
