import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashToken, looksLikeApiKey, newApiKey, newCsrfToken, newSessionToken } from './tokens.ts';

describe('tokens', () => {
  it('makes API keys with a shown prefix and a sha256 hash', () => {
    const { key, prefix, hash } = newApiKey();
    expect(key).toMatch(/^cfk_[A-Za-z0-9_-]{43}$/);
    expect(prefix).toBe(key.slice(0, 12));
    expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashToken(key)).toBe(hash);
    expect(looksLikeApiKey(key)).toBe(true);
    expect(looksLikeApiKey('cfk_short')).toBe(false);
    expect(newApiKey().key).not.toBe(key);
  });

  it('makes session and CSRF tokens of 32 random bytes', () => {
    const session = newSessionToken();
    expect(Buffer.from(session.token, 'base64url')).toHaveLength(32);
    expect(session.hash).toBe(hashToken(session.token));
    expect(session.hash).toMatch(/^[0-9a-f]{64}$/);
    const csrf = newCsrfToken();
    expect(Buffer.from(csrf, 'base64url')).toHaveLength(32);
    expect(new Set([newCsrfToken(), newCsrfToken(), csrf]).size).toBe(3);
  });
});
