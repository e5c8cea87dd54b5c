import { describe, expect, it } from 'vitest';
import { LiveTickets } from './live-tickets.ts';

describe('LiveTickets', () => {
  it('redeems a ticket once, within its lifetime', () => {
    let nowMs = 1_000;
    const tickets = new LiveTickets(30_000, () => nowMs);
    const first = tickets.issue();
    expect(first.expiresAtMs).toBe(31_000);
    expect(tickets.redeem(first.ticket)).toBe(true);
    expect(tickets.redeem(first.ticket)).toBe(false);

    const late = tickets.issue();
    nowMs = late.expiresAtMs;
    expect(tickets.redeem(late.ticket)).toBe(false);
    expect(tickets.redeem('never-issued')).toBe(false);
  });

  it('keeps a bounded number outstanding: expired ones go first, then the oldest', () => {
    let nowMs = 0;
    const tickets = new LiveTickets(1_000, () => nowMs, 3);
    const old = tickets.issue();
    nowMs = 2_000;
    const [a, b, c] = [tickets.issue(), tickets.issue(), tickets.issue()];
    expect(tickets.size).toBe(3);
    expect(tickets.redeem(old.ticket)).toBe(false);
    const d = tickets.issue();
    expect(tickets.size).toBe(3);
    expect(tickets.redeem(a.ticket)).toBe(false);
    for (const t of [b, c, d]) expect(tickets.redeem(t.ticket)).toBe(true);
  });
});
