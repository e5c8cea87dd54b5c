import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader } from './signature.ts';
import { verifyWebhookSignature } from './verify.ts';

const secret = 'whsec-test-0123456789';
const body = '{"id":"webhook:a:c1:call.created","type":"call.created"}';
const nowMs = 1_800_000_000_000;
const t = Math.floor(nowMs / 1000);

describe('webhook signatures', () => {
  it('matches an HMAC computed independently', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signatureHeader(secret, t, body)).toBe(`t=${t},v1=${expected}`);
  });

  it('accepts a fresh, correct signature (also among rotated secrets)', () => {
    const header = signatureHeader(secret, t, body);
    expect(verifyWebhookSignature({ header, rawBody: body, secret, nowMs })).toEqual({ valid: true, timestampSec: t });
    expect(verifyWebhookSignature({ header, rawBody: Buffer.from(body), secret: ['old-secret-xxxxxxxx', secret], nowMs }).valid).toBe(true);
  });

  it.each([
    ['a changed body', { rawBody: body.replace('created', 'finished') }, 'signature_mismatch'],
    ['another secret', { secret: 'another-secret-xxxxxxx' }, 'signature_mismatch'],
    ['a replay after 5 minutes', { nowMs: nowMs + 301_000 }, 'timestamp_too_old'],
    ['a timestamp from the future', { nowMs: nowMs - 301_000 }, 'timestamp_in_future'],
    ['no header', { header: undefined }, 'missing_header'],
    ['a malformed header', { header: 'v1=abc' }, 'malformed_header'],
  ])('rejects %s', (_name, change, reason) => {
    const input = { header: signatureHeader(secret, t, body) as string | undefined, rawBody: body, secret, nowMs, ...change };
    expect(verifyWebhookSignature(input)).toEqual({ valid: false, reason });
  });
});
