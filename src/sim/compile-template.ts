// Templates are serialized once into text pieces around placeholder slots, so producing an event is a
// string concatenation instead of an object walk plus JSON.stringify (the ingest benchmark needs
// hundreds of thousands of events per second from this).
import type { CallTemplate } from './template-types.ts';

export type SlotSpec =
  | { kind: 'ch' | 'lp' | 'sip' | 'sipcid' | 'br'; index: number }
  | { kind: 't'; ms: number }
  | { kind: 'dms' | 'ds'; fromMs: number; toMs: number; recordedMs: number }
  | { kind: 'text'; name: TextSlot };

export const TEXT_SLOTS = [
  'caller',
  'callerName',
  'called',
  'transfer',
  'endpoint',
  'linkedid',
  'asteriskId',
  'application',
] as const;
export type TextSlot = (typeof TEXT_SLOTS)[number];

export interface CompiledEvent {
  atMs: number;
  /** Text around the slots: `parts[0] + value(slots[0]) + parts[1] + ...`; one more part than slots. */
  parts: string[];
  slots: number[];
}

export interface CompiledTemplate {
  template: CallTemplate;
  withChannelvars: boolean;
  /** Distinct placeholders; a slot number indexes this list. */
  slotSpecs: SlotSpec[];
  events: CompiledEvent[];
}

const PLACEHOLDER_RE = /\{\{([a-zA-Z]+)(?::([^}]*))?\}\}/g;

function parseSlot(kind: string, arg: string | undefined, key: string): SlotSpec {
  const nums = arg === undefined ? [] : arg.split(':').map(Number);
  switch (kind) {
    case 'ch':
    case 'lp':
    case 'sip':
    case 'sipcid':
    case 'br':
      if (nums.length === 1 && Number.isInteger(nums[0])) return { kind, index: nums[0] as number };
      break;
    case 't':
      if (nums.length === 1 && Number.isFinite(nums[0])) return { kind, ms: nums[0] as number };
      break;
    case 'dms':
    case 'ds':
      if (nums.length === 3 && nums.every(Number.isFinite)) {
        const [fromMs, toMs, recordedMs] = nums as [number, number, number];
        return { kind, fromMs, toMs, recordedMs };
      }
      break;
    default:
      if ((TEXT_SLOTS as readonly string[]).includes(kind) && arg === undefined) {
        return { kind: 'text', name: kind as TextSlot };
      }
  }
  throw new RangeError(`template placeholder ${key} is not understood`);
}

function withoutChannelvars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutChannelvars);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k !== 'channelvars') out[k] = withoutChannelvars(v);
  }
  return out;
}

export function compileTemplate(template: CallTemplate, withChannelvars: boolean): CompiledTemplate {
  const slotSpecs: SlotSpec[] = [];
  const slotByKey = new Map<string, number>();
  const events = template.events.map(({ atMs, event }): CompiledEvent => {
    const text = JSON.stringify(withChannelvars ? event : withoutChannelvars(event));
    const parts: string[] = [];
    const slots: number[] = [];
    let last = 0;
    for (const m of text.matchAll(PLACEHOLDER_RE)) {
      const key = m[0];
      let slot = slotByKey.get(key);
      if (slot === undefined) {
        slot = slotSpecs.length;
        slotSpecs.push(parseSlot(m[1] as string, m[2], key));
        slotByKey.set(key, slot);
      }
      parts.push(text.slice(last, m.index));
      slots.push(slot);
      last = m.index + key.length;
    }
    parts.push(text.slice(last));
    return { atMs, parts, slots };
  });
  return { template, withChannelvars, slotSpecs, events };
}

export function renderEvent(event: CompiledEvent, values: readonly string[]): string {
  const { parts, slots } = event;
  let out = parts[0] as string;
  for (let i = 0; i < slots.length; i++) out += (values[slots[i] as number] as string) + (parts[i + 1] as string);
  return out;
}
