import { isPhoneNumber } from '../../domain/dialstring.ts';

// What goes into register's PHONE_NUMBER. Bitrix24 refuses a number without a single digit
// ("Unsupported phone number format."), and a refused register leaves the call out of the CRM with its
// finish stuck behind it. So a client number is sent only when it is a dialable number; anything else
// (empty, withheld as `anonymous` / `Restricted`, a SIP user name such as `sipp`) is sent as the
// configured placeholder, and the original is kept beside the link (crm_links.data.phoneNumber).

export interface BitrixPhoneNumber {
  /** What is sent as PHONE_NUMBER. */
  number: string;
  /** The client's number as the call has it, when the placeholder was sent instead. */
  original: string | null;
}

// Separators people and PBXs write inside numbers: `+49 (30) 123-45.67`, `030/1234`.
const SEPARATORS = /[\s\-.()/]/g;
// A SIP or tel URI's user part: `sip:+4930123@pbx;user=phone`, `tel:+4930123`.
const URI = /^(?:sips?|tel):([^@;]*)/i;

/** The dialable form of a number (digits, with a leading `+` kept), or null when it is not one. */
export function dialableNumber(raw: string): string | null {
  const text = raw.trim();
  const user = URI.exec(text)?.[1] ?? text;
  const compact = user.replace(SEPARATORS, '');
  return isPhoneNumber(compact) ? compact : null;
}

export function bitrixPhoneNumber(raw: string, placeholder: string): BitrixPhoneNumber {
  const number = dialableNumber(raw);
  return number !== null ? { number, original: null } : { number: placeholder, original: raw };
}
