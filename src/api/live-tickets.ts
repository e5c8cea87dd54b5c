import { randomBytes } from 'node:crypto';
import type { Principal } from '../tenants/principal.ts';

// Short-lived, single-use credentials for opening WS /api/live. A browser cannot set headers on a
// WebSocket, and a key in the URL would end up in logs and histories; so a page holding a key asks for a
// ticket (POST /api/live/tickets, with the key in a header) and puts that in the URL instead. A ticket
// opens one connection, within `ttlMs`, and is worth nothing afterwards; the connection acts as whoever asked
// for the ticket, and sees what that principal may see.
//
// Tickets live in this process only: behind a load balancer, the socket must reach the instance that
// issued its ticket (or authenticate with a key header).

/** Tickets outstanding at most; issuing one more forgets the oldest. */
export const MAX_OUTSTANDING_TICKETS = 10_000;

export interface LiveTicket {
  ticket: string;
  expiresAtMs: number;
}

export class LiveTickets {
  /** Ticket → expiry and holder. Insertion order is expiry order (one ttl for all), so the oldest come first. */
  private readonly outstanding = new Map<string, { expiresAtMs: number; holder: Principal | null }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxOutstanding = MAX_OUTSTANDING_TICKETS,
  ) {}

  get size(): number {
    return this.outstanding.size;
  }

  issue(holder: Principal | null = null): LiveTicket {
    const nowMs = this.now();
    this.purge(nowMs);
    while (this.outstanding.size >= this.maxOutstanding) this.outstanding.delete(this.outstanding.keys().next().value!);
    // 256 random bits: guessing one of even the most tickets outstanding is out of reach.
    const ticket = randomBytes(32).toString('base64url');
    const expiresAtMs = nowMs + this.ttlMs;
    this.outstanding.set(ticket, { expiresAtMs, holder });
    return { ticket, expiresAtMs };
  }

  /**
   * Once for a ticket issued here and not yet expired: whom it was issued to (null for a ticket issued with
   * no holder); undefined for any other. The ticket is spent either way.
   */
  redeem(ticket: string): Principal | null | undefined {
    const entry = this.outstanding.get(ticket);
    if (entry === undefined) return undefined;
    this.outstanding.delete(ticket);
    return this.now() < entry.expiresAtMs ? entry.holder : undefined;
  }

  private purge(nowMs: number): void {
    for (const [ticket, { expiresAtMs }] of this.outstanding) {
      if (expiresAtMs > nowMs) break;
      this.outstanding.delete(ticket);
    }
  }
}
