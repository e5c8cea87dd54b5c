import type { WebhookConfig } from '../config.ts';
import { webhookSinkName } from '../config.ts';
import { crmRequestError } from '../errors.ts';
import { postRequest } from '../flow/http.ts';
import type { Target } from '../flow/target.ts';
import type { DeliveryPayload } from '../plan.ts';
import type { Delivery, Sink } from '../sink.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';

// Signed JSON webhooks: `{ id, type, time, call }`, id = the delivery's idempotency key, so a
// receiver that sees the same id twice can drop the second.

export interface WebhookBody {
  id: string;
  type: string;
  /** When the change happened (the delivery was queued), not when it was sent. */
  time: string;
  call: unknown;
  /** call.recorded: the recording (its audio at `audioPath` on this engine's API). */
  recording?: unknown;
  /** voicemail.left: the message (its audio at `audioPath`). */
  voicemail?: unknown;
  recordingUrl?: string;
  transcript?: unknown;
}

export function webhookBody(delivery: Delivery): WebhookBody {
  const payload = (delivery.payload ?? {}) as Partial<DeliveryPayload>;
  const body: WebhookBody = { id: delivery.idempotencyKey, type: delivery.eventType, time: delivery.createdAt, call: payload.call ?? null };
  if (payload.recording) body.recording = payload.recording;
  if (payload.voicemail) body.voicemail = payload.voicemail;
  if (payload.recordingUrl) body.recordingUrl = payload.recordingUrl;
  if (payload.transcript) body.transcript = payload.transcript;
  return body;
}

/** `name`: the sink's name when it is not the default tenant's `webhook:<name>`. */
export function createWebhookSink(config: WebhookConfig, target: Target, now: () => number = Date.now, name = webhookSinkName(config.name)): Sink {
  return {
    name,
    readyInMs: () => target.readyInMs(),
    async deliver(delivery, signal) {
      const raw = JSON.stringify(webhookBody(delivery));
      const answer = await target.run(
        (s) =>
          postRequest(
            name,
            config.url,
            raw,
            {
              'content-type': 'application/json',
              'user-agent': 'callflow-engine',
              [SIGNATURE_HEADER]: signatureHeader(config.secret, Math.floor(now() / 1000), raw),
              'callflow-event-id': delivery.idempotencyKey,
              'callflow-event-type': delivery.eventType,
              'callflow-delivery-attempt': String(delivery.attempts),
            },
            s,
          ).then((a) => {
            // A 5xx counts against the breaker inside run(); other refusals do not.
            if (a.status >= 500) throw crmRequestError(`${name}: answered ${a.status}`, { target: name, status: a.status, targetDown: true }, { retryable: true });
            return a;
          }),
        signal,
      );
      if (answer.status === 429) {
        const retryAfterSec = Number(answer.headers['retry-after']);
        await target.pause(Number.isFinite(retryAfterSec) && retryAfterSec > 0 ? Math.min(retryAfterSec, 600) * 1000 : 1000);
      }
      // Any other answer than 2xx is retried until the delivery's maximum age: a receiver's
      // temporary bug must not lose events.
      if (answer.status < 200 || answer.status >= 300) {
        throw crmRequestError(`${name}: answered ${answer.status}`, { target: name, status: answer.status }, { retryable: true });
      }
    },
  };
}
