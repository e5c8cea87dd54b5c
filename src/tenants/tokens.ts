import { createHash, randomBytes } from 'node:crypto';

// Secrets handed to clients: API keys, session tokens, CSRF tokens. Each is 32 random bytes; only the
// sha256 of keys and session tokens is stored, which is enough because they are random (no salt or slow hash
// needed: there is nothing to guess).

export const API_KEY_PREFIX = 'cfk_';
/** Characters of a key kept in clear to tell keys apart in a list ('cfk_' and 8 more). */
export const API_KEY_SHOWN_LENGTH = 12;

const randomToken = (): string => randomBytes(32).toString('base64url');

/** sha256 of a token, hex: what the database holds instead of the token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new tenant API key; `key` is shown once and never stored. */
export function newApiKey(): { key: string; prefix: string; hash: string } {
  const key = API_KEY_PREFIX + randomToken();
  return { key, prefix: key.slice(0, API_KEY_SHOWN_LENGTH), hash: hashToken(key) };
}

/** Whether a presented credential looks like a tenant key (as opposed to a platform key from the configuration). */
export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX) && value.length === API_KEY_PREFIX.length + 43;
}

export function newSessionToken(): { token: string; hash: string } {
  const token = randomToken();
  return { token, hash: hashToken(token) };
}

export function newCsrfToken(): string {
  return randomToken();
}
