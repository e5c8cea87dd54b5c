import { describe, expect, it } from 'vitest';
import type { Principal } from '../tenants/principal.ts';
import { LiveTickets } from './live-tickets.ts';

const agent: Principal = { kind: 'api-key', role: 'reporter', tenantId: 't_acme', keyId: 'k1', name: 'wallboard' };

describe('LiveTickets', () => {
  it('redeems a ticket once, within its lifetime', () => {
    let nowMs = 1_000;
    const tickets = new LiveTickets(30_000, () => nowMs);
    const first = tickets.issue(agent);
    expect(first.expiresAtMs).toBe(31_000);
    expect(tickets.redeem(first.ticket)).toEqual(agent);
    expect(tickets.redeem(first.ticket)).toBeUndefined();

    const late = tickets.issue(agent);
    nowMs = late.expiresAtMs;
    expect(tickets.redeem(late.ticket)).toBeUndefined();
    expect(tickets.redeem('never-issued')).toBeUndefined();
  });

  it('keeps a bounded number outstanding: expired ones go first, then the oldest', () => {
    let nowMs = 0;
    const tickets = new LiveTickets(1_000, () => nowMs, 3);
    const old = tickets.issue();
    nowMs = 2_000;
    const [a, b, c] = [tickets.issue(), tickets.issue(), tickets.issue()];
    expect(tickets.size).toBe(3);
    expect(tickets.redeem(old.ticket)).toBeUndefined();
    const d = tickets.issue();
    expect(tickets.size).toBe(3);
    expect(tickets.redeem(a.ticket)).toBeUndefined();
    for (const t of [b, c, d]) expect(tickets.redeem(t.ticket)).toBeNull();
  });
});
