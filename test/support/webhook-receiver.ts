import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyWebhookSignature, type VerifyResult } from '../../src/crm/webhook/verify.ts';
import { LoopbackServer, readBody } from '../crm/helpers/loopback-server.ts';

// A loopback webhook subscriber: checks every request's Callflow-Signature against its secret and
// records what arrived. It can be taken down or made to answer errors, to test retries.

export interface ReceivedWebhook {
  id: string;
  type: string;
  callId: string | null;
  body: Record<string, unknown>;
  raw: string;
  headers: IncomingMessage['headers'];
  verification: VerifyResult;
  /** What the receiver answered. */
  status: number;
  atMs: number;
}

export class WebhookReceiver {
  /** Every request whose body parsed, valid or not. */
  readonly received: ReceivedWebhook[] = [];
  #server: LoopbackServer;
  #failures: number[] = [];
  /** Answers wait this long (a slow subscriber; lets a test catch deliveries in flight). */
  delayMs = 0;

  constructor(readonly secret: string) {
    this.#server = new LoopbackServer((req, res) => this.#handle(req, res));
  }

  async start(): Promise<this> {
    await this.#server.listen();
    return this;
  }

  get url(): string {
    return `${this.#server.origin}/hooks/callflow`;
  }

  /** While down, connections are dropped without an answer. */
  setDown(down: boolean): void {
    this.#server.setDown(down);
  }

  /** While holding, requests are accepted and never answered (a hung subscriber). */
  setHolding(holding: boolean): void {
    this.#server.setHolding(holding);
  }

  /** Requests held open right now / taken while holding. */
  get held(): { now: number; total: number } {
    return { now: this.#server.holdingNow, total: this.#server.heldCount };
  }

  /** The next requests answer these statuses. */
  failNext(...statuses: number[]): void {
    this.#failures.push(...statuses);
  }

  /** Verified and acknowledged deliveries, the first of each event id only. */
  accepted(): ReceivedWebhook[] {
    const seen = new Set<string>();
    return this.received.filter((r) => {
      if (r.status >= 300 || seen.has(r.id)) return false;
      seen.add(r.id);
      return true;
    });
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const verification = verifyWebhookSignature({ header: req.headers['callflow-signature'], rawBody: raw, secret: this.secret });
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return reply(res, 400);
    }
    const call = body.call as { id?: unknown } | null | undefined;
    const status = !verification.valid ? 401 : (this.#failures.shift() ?? 204);
    // Recorded before answering: a crash test counts what arrived, not only what was acknowledged.
    this.received.push({
      id: String(body.id ?? ''),
      type: String(body.type ?? ''),
      callId: typeof call?.id === 'string' ? call.id : null,
      body,
      raw,
      headers: req.headers,
      verification,
      status,
      atMs: Date.now(),
    });
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    reply(res, status);
  }
}

function reply(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}
