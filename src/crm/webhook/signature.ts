import { createHmac } from 'node:crypto';

// `Callflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.

export const SIGNATURE_HEADER = 'Callflow-Signature';

export function signatureHex(secret: string, timestampSec: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(rawBody).digest('hex');
}

export function signatureHeader(secret: string, timestampSec: number, rawBody: string | Buffer): string {
  return `t=${timestampSec},v1=${signatureHex(secret, timestampSec, rawBody)}`;
}
