import { describe, expect, it } from 'vitest';
import { PASSWORD_RULES, SCRYPT_PARAMS, hashPassword, hashPin, needsRehash, validatePassword, verifyPassword, verifyPinSync } from './passwords.ts';

describe('password hashes', () => {
  it('verifies the password a hash was made from and nothing else', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toBe(b);
  });

  it('reads the parameters from the hash, and asks for a new hash when they are not today\'s', async () => {
    // A hash made with cheaper parameters (as an older version would have) still verifies.
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const old = `scrypt$1024$8$1$${salt.toString('base64')}$${scryptSync('an older password', salt, 32, { N: 1024, r: 8, p: 1 }).toString('base64')}`;
    expect(await verifyPassword('an older password', old)).toBe(true);
    expect(await verifyPassword('another password', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
    expect(SCRYPT_PARAMS.N).toBe(2 ** 15);
  });

  it('matches nothing with a malformed or absurd hash', async () => {
    const good = await hashPassword('correct horse battery');
    const parts = good.split('$');
    const cases = [
      '',
      'plain text',
      parts.slice(0, 5).join('$'),
      ['bcrypt', ...parts.slice(1)].join('$'),
      ['scrypt', '1000', ...parts.slice(2)].join('$'), // N not a power of two
      ['scrypt', String(2 ** 24), ...parts.slice(2)].join('$'), // would allocate gigabytes
      [...parts.slice(0, 4), 'not base64!', parts[5]].join('$'),
    ];
    for (const stored of cases) {
      expect(await verifyPassword('correct horse battery', stored)).toBe(false);
      expect(needsRehash(stored)).toBe(true);
    }
  });

  it('bounds password length', async () => {
    expect(validatePassword('short')).toMatch(/at least 8/);
    expect(validatePassword('x'.repeat(PASSWORD_RULES.maxLength + 1))).toMatch(/at most 1024/);
    expect(validatePassword('éééééééé')).toBeNull();
    expect(validatePassword(12345678)).toMatch(/text/);
    await expect(hashPassword('short')).rejects.toMatchObject({ code: 'CF_REQUEST_INVALID' });
    expect(await verifyPassword('x'.repeat(PASSWORD_RULES.maxLength + 1), await hashPassword('long enough'))).toBe(false);
  });
  it('checks a PIN synchronously against its hash, and nothing else', async () => {
    const stored = await hashPin('4711');
    expect(verifyPinSync('4711', stored)).toBe(true);
    expect(verifyPinSync('4712', stored)).toBe(false);
    expect(verifyPinSync('', stored)).toBe(false);
    expect(verifyPinSync('4711#', stored)).toBe(false);
    expect(verifyPinSync('4711', 'scrypt$1$1$1$x$y')).toBe(false);
  });
});
