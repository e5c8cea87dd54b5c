// What kind of call comes next and with which numbers and durations: a weighted scenario mix (mostly
// answered calls) and realistic ringing and talk times, all drawn from the seeded generator.
import { AppError, ERROR_CODES } from '../errors.ts';
import type { Rng } from './rng.ts';
import { isTemplateName, loadTemplate, TEMPLATE_NAMES, type TemplateName } from './template-library.ts';
import type { CallTemplate } from './template-types.ts';

export type ScenarioMix = Partial<Record<TemplateName, number>>;

export const DEFAULT_MIX: Readonly<Record<TemplateName, number>> = {
  dial_answered: 28,
  answered_stasis: 14,
  sip_answered: 14,
  dtmf: 5,
  ari_bridge: 5,
  blind_transfer: 5,
  dial_busy: 8,
  dial_noanswer: 8,
  caller_cancelled_stasis: 7,
  sip_cancelled: 6,
};

/** `realistic`: ringing and talk times like real traffic; `recorded`: the traces' own (seconds-long) timing. */
export type CallTiming = 'realistic' | 'recorded';

export interface CallPlan {
  template: CallTemplate;
  callerNumber: string;
  calledNumber: string;
  callerName: string;
  transferNumber: string;
  endpoint: string;
  phaseMs: Record<string, number>;
}

const CALLER_NAMES = ['Alice Moreau', 'Bruno Keller', 'Chen Wei', 'Dana Novak', 'Emeka Obi', 'Farah Haddad', 'Goran Petrov', ''];
const SIP_ENDPOINTS = ['trunk1', 'alice', 'bob', 'carol', 'reception'];

export function validateMix(mix: ScenarioMix): Array<[TemplateName, number]> {
  const entries: Array<[TemplateName, number]> = [];
  for (const [name, weight] of Object.entries(mix)) {
    if (!isTemplateName(name)) {
      throw new AppError(ERROR_CODES.CONFIG_INVALID, `unknown scenario "${name}"; known: ${TEMPLATE_NAMES.join(', ')}`);
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new AppError(ERROR_CODES.CONFIG_INVALID, `scenario weight for ${name} must be a number >= 0`);
    }
    if (weight > 0) entries.push([name, weight]);
  }
  if (entries.length === 0) throw new AppError(ERROR_CODES.CONFIG_INVALID, 'the scenario mix has no positive weight');
  return entries;
}

function phaseLengths(rng: Rng, template: CallTemplate): Record<string, number> {
  const out: Record<string, number> = {};
  const disposition = template.expected.disposition;
  for (const { name } of template.phases) {
    if (name === 'ring') {
      out.ring = disposition === 'no_answer' ? rng.int(15_000, 30_000)
        : disposition === 'cancelled' ? rng.int(2_000, 20_000)
        : rng.int(500, 12_000);
    } else if (name === 'talk' || name === 'transferTalk') {
      out[name] = rng.int(5_000, 60_000);
    } else if (name === 'transferRing') {
      out[name] = rng.int(1_000, 10_000);
    }
  }
  return out;
}

export function createCallPlanner(rng: Rng, mix: ScenarioMix = DEFAULT_MIX, timing: CallTiming = 'realistic'): () => CallPlan {
  const entries = validateMix(mix).map(([name, weight]) => ({ template: loadTemplate(name), weight }));
  const total = entries.reduce((sum, e) => sum + e.weight, 0);
  return () => {
    let r = rng.next() * total;
    const chosen = entries.find((e) => (r -= e.weight) < 0) ?? (entries[entries.length - 1] as (typeof entries)[number]);
    const calledNumber = String(rng.int(100, 899));
    const transfer = rng.int(100, 898);
    return {
      template: chosen.template,
      callerNumber: `+1${rng.int(201, 989)}555${String(rng.int(0, 9999)).padStart(4, '0')}`,
      calledNumber,
      callerName: rng.pick(CALLER_NAMES),
      transferNumber: String(transfer >= Number(calledNumber) ? transfer + 1 : transfer),
      endpoint: rng.pick(SIP_ENDPOINTS),
      phaseMs: timing === 'realistic' ? phaseLengths(rng, chosen.template) : {},
    };
  };
}
