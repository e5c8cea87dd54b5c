import { timingSafeEqual } from 'node:crypto';
import { signatureHex } from './signature.ts';

// For receivers of our webhooks (and our own tests): checks the signature over the raw body and
// refuses deliveries signed too long ago, so a captured request cannot be replayed later.

export const DEFAULT_TOLERANCE_SEC = 300;

export interface VerifyInput {
  /** The `Callflow-Signature` header value. */
  header: string | string[] | undefined;
  /** The body exactly as received, before any JSON parsing. */
  rawBody: string | Buffer;
  /** One secret, or several while rotating. */
  secret: string | string[];
  toleranceSec?: number;
  nowMs?: number;
}

export type VerifyResult =
  | { valid: true; timestampSec: number }
  | { valid: false; reason: 'missing_header' | 'malformed_header' | 'timestamp_too_old' | 'timestamp_in_future' | 'signature_mismatch' };

export function parseSignatureHeader(header: string): { timestampSec: number; signatures: string[] } | null {
  let timestampSec: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestampSec = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  return timestampSec === null || signatures.length === 0 ? null : { timestampSec, signatures };
}

export function verifyWebhookSignature(input: VerifyInput): VerifyResult {
  const header = Array.isArray(input.header) ? input.header[0] : input.header;
  if (!header) return { valid: false, reason: 'missing_header' };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { valid: false, reason: 'malformed_header' };
  const tolerance = input.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  const nowSec = Math.floor((input.nowMs ?? Date.now()) / 1000);
  if (nowSec - parsed.timestampSec > tolerance) return { valid: false, reason: 'timestamp_too_old' };
  if (parsed.timestampSec - nowSec > tolerance) return { valid: false, reason: 'timestamp_in_future' };
  const secrets = Array.isArray(input.secret) ? input.secret : [input.secret];
  for (const secret of secrets) {
    const expected = Buffer.from(signatureHex(secret, parsed.timestampSec, input.rawBody), 'hex');
    for (const sig of parsed.signatures) {
      if (timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return { valid: true, timestampSec: parsed.timestampSec };
    }
  }
  return { valid: false, reason: 'signature_mismatch' };
}
