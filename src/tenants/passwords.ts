import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AppError, ERROR_CODES } from '../errors.ts';

// Password hashes: scrypt from node:crypto, with its parameters written into the hash string
// (`scrypt$N$r$p$salt$hash`), so that raising them later only needs needsRehash at the next login.

export const PASSWORD_RULES = { minLength: 8, maxLength: 1024 } as const;

/** Today's parameters: about 32 MiB and tens of milliseconds per hash. */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// A stored hash is trusted data, but one altered in the database must not make a login allocate gigabytes.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** Why `password` cannot be used, or null when it can. */
export function validatePassword(password: unknown): string | null {
  if (typeof password !== 'string') return 'a password is a text';
  const length = [...password].length;
  if (length < PASSWORD_RULES.minLength) return `a password has at least ${PASSWORD_RULES.minLength} characters`;
  if (length > PASSWORD_RULES.maxLength) return `a password has at most ${PASSWORD_RULES.maxLength} characters`;
  return null;
}

function scryptAsync(password: string, salt: Buffer, keyLength: number, params: { N: number; r: number; p: number }): Promise<Buffer> {
  // scrypt needs about 128 * N * r * p bytes; Node's default ceiling (32 MiB) is just below that at N=2^15, r=8.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r * params.p };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const problem = validatePassword(password);
  if (problem) throw new AppError(ERROR_CODES.REQUEST_INVALID, problem, { details: [{ field: 'password' }] });
  return scryptHash(password);
}

/**
 * A PIN's hash (routing: voicemail boxes, conference rooms), in the same scrypt format, checked with
 * verifyPassword. PINs are short digit strings, checked by their own schema (3 to 12 digits), not by the
 * password rules; the hash only keeps them out of the database in plain.
 */
export async function hashPin(pin: string): Promise<string> {
  if (!/^[0-9]{3,12}$/.test(pin)) throw new AppError(ERROR_CODES.REQUEST_INVALID, 'a PIN has 3 to 12 digits', { details: [{ field: 'pin' }] });
  return scryptHash(pin);
}

async function scryptHash(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(secret, salt, KEY_BYTES, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^[1-9][0-9]{0,9}$/.test(part) ? Number(part) : NaN)) as [number, number, number];
  if (!(N >= 2 && N <= MAX_N && (N & (N - 1)) === 0)) return null;
  if (!(r >= 1 && r <= MAX_R && p >= 1 && p <= MAX_P)) return null;
  const [saltText, hashText] = [parts[4]!, parts[5]!];
  if (!BASE64.test(saltText) || !BASE64.test(hashText)) return null;
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { N, r, p, salt, hash };
}

/** Whether `password` is the one `stored` was made from. A malformed hash matches nothing. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (typeof password !== 'string' || [...password].length > PASSWORD_RULES.maxLength) return false;
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const candidate = await scryptAsync(password, parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(candidate, parsed.hash);
}

/**
 * Whether `pin` is the PIN `stored` was made from, synchronously: the call-flow machine asks while a caller waits
 * (a conference entry). It holds the thread for one scrypt (tens of milliseconds), once per entry made.
 */
export function verifyPinSync(pin: string, stored: string): boolean {
  if (!/^[0-9]{1,12}$/.test(pin)) return false;
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const { N, r, p } = parsed;
  return timingSafeEqual(scryptSync(pin, parsed.salt, parsed.hash.length, { N, r, p, maxmem: 256 * N * r * p }), parsed.hash);
}

/** Whether `stored` was made with other parameters than today's (or cannot be read): hash again at login. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  return (
    parsed.N !== SCRYPT_PARAMS.N ||
    parsed.r !== SCRYPT_PARAMS.r ||
    parsed.p !== SCRYPT_PARAMS.p ||
    parsed.salt.length !== SALT_BYTES ||
    parsed.hash.length !== KEY_BYTES
  );
}
