// The committed scenario templates (src/sim/templates/*.json), loaded once on first use.
import { readFileSync } from 'node:fs';
import { AppError, ERROR_CODES } from '../errors.ts';
import type { CallTemplate } from './template-types.ts';

export const TEMPLATE_NAMES = [
  'answered_stasis',
  'caller_cancelled_stasis',
  'dial_answered',
  'dial_busy',
  'dial_noanswer',
  'dtmf',
  'ari_bridge',
  'sip_answered',
  'sip_cancelled',
  'blind_transfer',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

const cache = new Map<TemplateName, CallTemplate>();

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}

function checkTemplate(value: unknown, name: string): CallTemplate {
  const t = value as Partial<CallTemplate> | null;
  const ok =
    t !== null && typeof t === 'object' && t.name === name && Array.isArray(t.events) && t.events.length > 0 &&
    Array.isArray(t.channels) && Array.isArray(t.phases) && typeof t.expected === 'object' && typeof t.defaults === 'object' &&
    t.expected.channels === t.channels.length;
  if (!ok) throw new AppError(ERROR_CODES.INTERNAL, `simulator template ${name} is malformed; re-run src/sim/extract-templates.ts`);
  return t as CallTemplate;
}

export function loadTemplate(name: TemplateName): CallTemplate {
  let template = cache.get(name);
  if (!template) {
    const text = readFileSync(new URL(`./templates/${name}.json`, import.meta.url), 'utf8');
    template = checkTemplate(JSON.parse(text), name);
    cache.set(name, template);
  }
  return template;
}

export function loadTemplates(): CallTemplate[] {
  return TEMPLATE_NAMES.map(loadTemplate);
}
