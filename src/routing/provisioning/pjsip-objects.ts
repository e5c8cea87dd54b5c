import { randomInt } from 'node:crypto';
import type { Extension } from '../objects/model.ts';

// What an extension is on Asterisk (docs/routing.md, "Provisioning"): three PJSIP objects named after its
// endpoint (`<tenant slug>-<number>`), an auth (userpass, username = the endpoint's name), an AOR (one contact;
// a new registration replaces the old) and the endpoint itself. Pure: the provisioner pushes them over ARI.

/** Where phones' calls go, and over which transport, as configured (config `routing.phone*`). */
export interface PjsipOptions {
  /** Dialplan context of the phones' calls; its dialplan hands them to `Stasis(<app>,route)`. */
  context: string;
  /** A transport of pjsip.conf to pin the endpoints to; null: Asterisk picks one. */
  transport: string | null;
}

export const DEFAULT_PHONE_CONTEXT = 'callflow-phones';

export type PjsipType = 'endpoint' | 'auth' | 'aor';

export interface PjsipField {
  attribute: string;
  value: string;
}

export interface PjsipObject {
  type: PjsipType;
  id: string;
  fields: PjsipField[];
}

export type ProvisionedExtension = Pick<Extension, 'number' | 'name' | 'endpoint' | 'callerIdName'>;

/** The objects to push, in the order Asterisk needs them: what the endpoint refers to first. */
export function pjsipObjectsFor(extension: ProvisionedExtension, sipPassword: string, options: PjsipOptions): PjsipObject[] {
  const id = extension.endpoint;
  const f = (attribute: string, value: string): PjsipField => ({ attribute, value });
  const endpoint: PjsipField[] = [
    f('context', options.context),
    f('disallow', 'all'),
    f('allow', 'ulaw,alaw'),
    f('auth', id),
    f('aors', id),
    f('callerid', callerIdOf(extension.callerIdName ?? extension.name, extension.number)),
    f('direct_media', 'no'),
    f('rtp_symmetric', 'yes'),
    f('force_rport', 'yes'),
    f('rewrite_contact', 'yes'),
  ];
  if (options.transport !== null) endpoint.push(f('transport', options.transport));
  return [
    { type: 'auth', id, fields: [f('auth_type', 'userpass'), f('username', id), f('password', sipPassword)] },
    { type: 'aor', id, fields: [f('max_contacts', '1'), f('remove_existing', 'yes')] },
    { type: 'endpoint', id, fields: endpoint },
  ];
}

/** What removing an extension deletes, the endpoint (which refers to the others) first. */
export function pjsipRemovalOf(endpoint: string): { type: PjsipType; id: string }[] {
  return [
    { type: 'endpoint', id: endpoint },
    { type: 'aor', id: endpoint },
    { type: 'auth', id: endpoint },
  ];
}

/** `"name" <number>`; the name loses what would break the header (quotes, backslashes, angle brackets, controls). */
export function callerIdOf(name: string, number: string): string {
  const clean = name
    .replace(/[\u0000-\u001f\u007f"\\<>]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 80);
  return clean === '' ? `<${number}>` : `"${clean}" <${number}>`;
}

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
export const SIP_PASSWORD_LENGTH = 24;

/** A random SIP password: 24 characters of 57 (about 140 bits), none a phone's keypad or a SIP header mistakes. */
export function generateSipPassword(): string {
  let out = '';
  for (let i = 0; i < SIP_PASSWORD_LENGTH; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}
