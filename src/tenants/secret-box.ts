import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, ERROR_CODES } from '../errors.ts';
import { MEMORY_DATA_DIR } from '../store/pglite-client.ts';

// Secrets at rest (tenant CRM and webhook credentials): AES-256-GCM under SECRETS_KEY. A sealed value is
// `v1:<iv>:<tag>:<ciphertext>` in base64, so a later format or key scheme can sit beside it. Errors name
// neither the value nor the key: they end up in logs.

export const SECRETS_KEY_BYTES = 32;
export const SECRETS_KEY_FILE = 'secrets.key';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function checkKey(key: Buffer): void {
  if (key.length !== SECRETS_KEY_BYTES) {
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `a secrets key is ${SECRETS_KEY_BYTES} bytes, not ${key.length}`);
  }
}

export function sealSecret(plaintext: string, key: Buffer): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
}

/** Whether `value` is in the sealed format (it may still fail to open). */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(`${VERSION}:`) && value.split(':').length === 4;
}

export function openSecret(sealed: string, key: Buffer): string {
  checkKey(key);
  const parts = sealed.split(':');
  if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((part) => BASE64.test(part))) {
    throw new AppError(ERROR_CODES.SECRET_UNREADABLE, 'a stored secret is not in a format this version reads');
  }
  const iv = Buffer.from(parts[1]!, 'base64');
  const tag = Buffer.from(parts[2]!, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new AppError(ERROR_CODES.SECRET_UNREADABLE, 'a stored secret is damaged');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    // Deliberately without the cause: it adds nothing but could one day carry data.
    throw new AppError(ERROR_CODES.SECRET_UNREADABLE, 'a stored secret cannot be decrypted: it was sealed under another SECRETS_KEY, or altered');
  }
}

/** base64 of exactly 32 bytes, or a CONFIG_INVALID error that says what is wrong (never the value). */
export function parseSecretsKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = BASE64.test(trimmed) ? Buffer.from(trimmed, 'base64') : null;
  if (!key || key.length !== SECRETS_KEY_BYTES) {
    throw new AppError(
      ERROR_CODES.CONFIG_INVALID,
      `${source} must be the base64 of exactly ${SECRETS_KEY_BYTES} random bytes (for example: openssl rand -base64 32)` +
        (key ? `; it holds ${key.length} bytes` : '; it is not base64'),
    );
  }
  return key;
}

export interface LoadedSecretsKey {
  key: Buffer;
  /** Where the key came from: the configuration, a key file, or a key made for this run (in-memory database). */
  source: 'configured' | 'file' | 'ephemeral';
  /** The key file, when one is used. */
  path: string | null;
  /** A new key was made now: the caller says so in its log, since the key must be kept with the backups. */
  created: boolean;
}

/**
 * The configured SECRETS_KEY, else `<dataDir>/secrets.key`, made (mode 0600) when absent. An in-memory data
 * directory gets a key for this run only: its database does not outlive the process either.
 */
export async function loadSecretsKey(options: { configured?: string; dataDir: string }): Promise<LoadedSecretsKey> {
  if (options.configured !== undefined && options.configured.trim() !== '') {
    return { key: parseSecretsKey(options.configured, 'SECRETS_KEY'), source: 'configured', path: null, created: false };
  }
  if (options.dataDir === MEMORY_DATA_DIR) {
    return { key: randomBytes(SECRETS_KEY_BYTES), source: 'ephemeral', path: null, created: true };
  }
  const path = join(options.dataDir, SECRETS_KEY_FILE);
  const existing = await readKeyFile(path);
  if (existing) return { key: existing, source: 'file', path, created: false };
  await mkdir(options.dataDir, { recursive: true });
  const key = randomBytes(SECRETS_KEY_BYTES);
  try {
    // 'wx': of two processes starting at once, one creates the file and the other reads it.
    await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = await readKeyFile(path);
      if (raced) return { key: raced, source: 'file', path, created: false };
    }
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `cannot create the secrets key file ${path}: ${(err as Error).message}`, { cause: err });
  }
  // The mode given to writeFile passes through the umask, which can only take bits away; chmod says it outright.
  await chmod(path, 0o600);
  return { key, source: 'file', path, created: true };
}

async function readKeyFile(path: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AppError(ERROR_CODES.CONFIG_INVALID, `cannot read the secrets key file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseSecretsKey(text, `the secrets key file ${path}`);
}
