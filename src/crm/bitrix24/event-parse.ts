// Events Bitrix24 posts to us arrive form-encoded with bracketed keys (`data[PHONE_NUMBER]`,
// `auth[application_token]`); their shape has changed before without notice, so everything here is
// lenient: nested or flat keys, any letter case, missing optional fields.

export type FormValue = string | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

/** `a[b][c]=v&x=y` → `{ a: { b: { c: 'v' } }, x: 'y' }`. The first value of a repeated key wins. */
export function parseBracketForm(text: string): FormObject {
  const out: FormObject = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = rawKey.split(/[[\]]+/).filter((p) => p !== '');
    if (path.length === 0) continue;
    let node: FormObject = out;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i] as string;
      const next = node[key];
      if (typeof next === 'string') break;
      node = next ?? (node[key] = {});
    }
    const last = path[path.length - 1] as string;
    if (!(last in node)) node[last] = value;
  }
  return out;
}

/** A field by path, whatever the letter case, whether the body was nested or kept flat keys. */
export function field(body: unknown, ...path: string[]): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const record = body as Record<string, unknown>;
  const flatKey = path.length > 1 ? `${path[0]}[${path.slice(1).join('][')}]` : (path[0] as string);
  const direct = lookup(record, flatKey);
  if (direct !== undefined) return scalar(direct);
  const [head, ...rest] = path;
  const child = lookup(record, head as string);
  return rest.length === 0 ? scalar(child) : field(child, ...rest);
}

function lookup(record: Record<string, unknown>, key: string): unknown {
  if (key in record) return record[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(record)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function scalar(value: unknown): string | null {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.length > 0) return scalar(value[0]);
  return null;
}

export interface ExternalCallStart {
  bitrixCallId: string;
  userId: number;
  /** As the employee clicked it. */
  phoneNumber: string;
  phoneNumberInternational: string | null;
  lineNumber: string | null;
  crmEntityType: string | null;
  crmEntityId: string | null;
}

export type ParsedEvent =
  | { kind: 'external_call_start'; applicationToken: string | null; start: ExternalCallStart }
  | { kind: 'other'; event: string; applicationToken: string | null }
  | { kind: 'invalid'; problem: string; applicationToken: string | null };

export function parseBitrixEvent(body: unknown): ParsedEvent {
  const applicationToken = field(body, 'auth', 'application_token');
  const event = (field(body, 'event') ?? '').toUpperCase();
  if (event !== 'ONEXTERNALCALLSTART') {
    return event === '' ? { kind: 'invalid', problem: 'no event name', applicationToken } : { kind: 'other', event, applicationToken };
  }
  const bitrixCallId = field(body, 'data', 'CALL_ID');
  const userId = Number(field(body, 'data', 'USER_ID'));
  const international = field(body, 'data', 'PHONE_NUMBER_INTERNATIONAL') || null;
  const phoneNumber = field(body, 'data', 'PHONE_NUMBER') || international;
  if (!bitrixCallId) return { kind: 'invalid', problem: 'data[CALL_ID] is missing', applicationToken };
  if (!Number.isInteger(userId) || userId <= 0) return { kind: 'invalid', problem: 'data[USER_ID] is missing', applicationToken };
  if (!phoneNumber) return { kind: 'invalid', problem: 'data[PHONE_NUMBER] is missing', applicationToken };
  return {
    kind: 'external_call_start',
    applicationToken,
    start: {
      bitrixCallId,
      userId,
      phoneNumber,
      phoneNumberInternational: international,
      lineNumber: field(body, 'data', 'LINE_NUMBER') || null,
      crmEntityType: field(body, 'data', 'CRM_ENTITY_TYPE') || null,
      crmEntityId: field(body, 'data', 'CRM_ENTITY_ID') || null,
    },
  };
}
