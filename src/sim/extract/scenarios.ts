// Which recorded trace each template comes from, and what the engine must make of the call.
// `_channelvars` recordings are preferred: their channelvars are real, not reconstructed.
import type { TraceScenario } from './trace-to-template.ts';

export interface RecordedScenario {
  /** File name under test/fixtures/ari. */
  file: string;
  scenario: Omit<TraceScenario, 'source'>;
}

export const RECORDED_SCENARIOS: RecordedScenario[] = [
  {
    file: 'a_answer_wait_hangup_channelvars.jsonl',
    scenario: {
      name: 'answered_stasis',
      description: 'Inbound Local call enters Stasis; the app answers, the call talks, the app hangs up.',
      expected: { status: 'finished', disposition: 'answered', answered: true, channels: 2 },
    },
  },
  {
    file: 'b_unanswered_caller_hangup.jsonl',
    scenario: {
      name: 'caller_cancelled_stasis',
      description: 'Inbound Local call in Stasis is only rung; the caller hangs up before an answer.',
      expected: { status: 'finished', disposition: 'cancelled', answered: false, channels: 2 },
    },
  },
  {
    file: 'c_dial_answered_channelvars.jsonl',
    scenario: {
      name: 'dial_answered',
      description: 'Dialplan Dial() to a callee that rings, answers, talks and hangs up (4 channels, no Stasis).',
      expected: { status: 'finished', disposition: 'answered', answered: true, channels: 4 },
      callerAliases: ['5551234'],
      callerNameAliases: ['Alice Test'],
    },
  },
  {
    file: 'd1_dial_busy.jsonl',
    scenario: {
      name: 'dial_busy',
      description: 'Dialplan Dial() to a busy callee (DIALSTATUS=BUSY), then Hangup(17).',
      expected: { status: 'finished', disposition: 'busy', answered: false, channels: 4 },
    },
  },
  {
    file: 'd2_dial_noanswer.jsonl',
    scenario: {
      name: 'dial_noanswer',
      description: 'Dialplan Dial() with a timeout to a callee that only rings (DIALSTATUS=NOANSWER), then Hangup(19).',
      expected: { status: 'finished', disposition: 'no_answer', answered: false, channels: 4 },
    },
  },
  {
    file: 'e_dtmf_varset_channelvars.jsonl',
    scenario: {
      name: 'dtmf',
      description: 'Stasis call answered by the app; variables set over ARI; DTMF sent and received.',
      expected: { status: 'finished', disposition: 'answered', answered: true, channels: 2 },
    },
  },
  {
    file: 'f_ari_bridge_channelvars.jsonl',
    scenario: {
      name: 'ari_bridge',
      description: 'Stasis call answered; the app originates a second channel and bridges both; the caller hangs up.',
      expected: { status: 'finished', disposition: 'answered', answered: true, channels: 4 },
    },
  },
  {
    file: 'h_sipp_inbound_stasis.jsonl',
    scenario: {
      name: 'sip_answered',
      description: 'SIP INVITE into Stasis; the app answers; the SIP caller sends BYE.',
      expected: { status: 'finished', disposition: 'answered', answered: true, channels: 1 },
    },
  },
  {
    file: 'h3_sipp_cancel_while_ringing.jsonl',
    scenario: {
      name: 'sip_cancelled',
      description: 'SIP INVITE into Stasis, rung by the app; the caller CANCELs (cause 127, tech_cause 487).',
      expected: { status: 'finished', disposition: 'cancelled', answered: false, channels: 1 },
    },
  },
];
