import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../errors.ts';
import { isSealed, loadSecretsKey, openSecret, sealSecret } from './secret-box.ts';

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('secret box', () => {
  const key = randomBytes(32);

  it('opens what it sealed, with a fresh IV every time', () => {
    const secret = 'webhook secret é☎ 🙂';
    const sealed = sealSecret(secret, key);
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('webhook');
    expect(openSecret(sealed, key)).toBe(secret);
    expect(sealSecret(secret, key)).not.toBe(sealed);
    expect(openSecret(sealSecret('', key), key)).toBe('');
  });

  it('refuses a tampered value', () => {
    const sealed = sealSecret('client secret', key);
    const [version, iv, tag, ct] = sealed.split(':') as [string, string, string, string];
    const flipped = Buffer.from(ct, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    for (const bad of [
      [version, iv, tag, flipped.toString('base64')].join(':'),
      [version, iv, Buffer.alloc(16).toString('base64'), ct].join(':'),
      [version, randomBytes(12).toString('base64'), tag, ct].join(':'),
      ['v2', iv, tag, ct].join(':'),
      'client secret',
    ]) {
      expect(errorOf(() => openSecret(bad, key))).toMatchObject({ code: 'CF_SECRET_UNREADABLE' });
    }
  });

  it('refuses to open under another key, without showing the secret or either key', () => {
    const sealed = sealSecret('the plaintext', key);
    const other = randomBytes(32);
    const err = errorOf(() => openSecret(sealed, other));
    expect(isAppError(err) && err.code).toBe('CF_SECRET_UNREADABLE');
    const text = `${(err as Error).message} ${JSON.stringify((err as { details?: unknown }).details ?? null)}`;
    expect(text).not.toContain('the plaintext');
    expect(text).not.toContain(key.toString('base64'));
    expect(text).not.toContain(other.toString('base64'));
    expect(errorOf(() => sealSecret('x', randomBytes(16)))).toMatchObject({ code: 'CF_CONFIG_INVALID' });
  });
});

describe('loadSecretsKey', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('takes the configured key, refusing one that is not 32 bytes of base64', async () => {
    const configured = randomBytes(32);
    const loaded = await loadSecretsKey({ configured: configured.toString('base64'), dataDir: '/nonexistent' });
    expect(loaded).toMatchObject({ source: 'configured', created: false, path: null });
    expect(loaded.key.equals(configured)).toBe(true);
    const short = randomBytes(16).toString('base64');
    const err = await loadSecretsKey({ configured: short, dataDir: '/nonexistent' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CF_CONFIG_INVALID' });
    expect((err as Error).message).toMatch(/exactly 32 random bytes.*holds 16 bytes/);
    expect((err as Error).message).not.toContain(short);
    await expect(loadSecretsKey({ configured: 'not base64 at all!', dataDir: '/nonexistent' })).rejects.toMatchObject({ code: 'CF_CONFIG_INVALID' });
  });

  it('creates <dataDir>/secrets.key with mode 0600 once, then reads it back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-secrets-'));
    const dataDir = join(dir, 'data');
    const first = await loadSecretsKey({ dataDir });
    expect(first).toMatchObject({ source: 'file', created: true, path: join(dataDir, 'secrets.key') });
    expect(first.key).toHaveLength(32);
    const info = await stat(first.path!);
    expect(info.mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(first.path!, 'utf8')).trim(), 'base64').equals(first.key)).toBe(true);

    const second = await loadSecretsKey({ dataDir });
    expect(second).toMatchObject({ source: 'file', created: false });
    expect(second.key.equals(first.key)).toBe(true);
    // A value sealed before a restart opens after it.
    expect(openSecret(sealSecret('kept', first.key), second.key)).toBe('kept');
  });

  it('refuses a damaged key file instead of replacing it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cf-secrets-'));
    await writeFile(join(dir, 'secrets.key'), 'too short\n');
    await expect(loadSecretsKey({ dataDir: dir })).rejects.toMatchObject({ code: 'CF_CONFIG_INVALID' });
    expect(await readFile(join(dir, 'secrets.key'), 'utf8')).toBe('too short\n');
  });

  it('makes a key for this run only for an in-memory database', async () => {
    const loaded = await loadSecretsKey({ dataDir: 'memory://' });
    expect(loaded).toMatchObject({ source: 'ephemeral', created: true, path: null });
    expect(loaded.key).toHaveLength(32);
  });
});
