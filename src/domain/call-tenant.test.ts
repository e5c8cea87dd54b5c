import { describe, expect, it } from 'vitest';
import { createdAt, dialAt, snapshot, stateAt, trunkPolicy } from '../../test/support/domain-events.ts';
import { TenantDirectory } from '../tenants/tenant-directory.ts';
import type { CallEvent } from './events.ts';
import { CallRegistry, resolve, type CallHandle } from './grouping.ts';
import { toRecord } from './record.ts';
import type { FoundingChannel } from './tenant.ts';

// A call's tenant is decided once, from the channel that founded it: later channels, merges into it and
// channels moving in leave it as it was (docs/tenants.md).

const at = (s: number): string => `2026-12-06T10:00:${String(s).padStart(2, '0')}.000Z`;

function directory(): TenantDirectory {
  const d = new TenantDirectory();
  d.replace({
    rules: [
      { tenantId: 'acme', match: { context: 'from-acme' } },
      { tenantId: 'globex', match: { endpoint: 'globex-*' } },
    ],
    numbers: new Map([['+4930222', 'initech']]),
  });
  return d;
}

/** A registry whose every question to the rules is written down. */
function registry(): { registry: CallRegistry; asked: FoundingChannel[] } {
  const asked: FoundingChannel[] = [];
  const { tenantOf } = directory();
  return {
    registry: new CallRegistry('pbx-a', (channel) => {
      asked.push(channel);
      return tenantOf(channel);
    }),
    asked,
  };
}

function run(r: CallRegistry, events: CallEvent[]): CallHandle[] {
  const absorbed: CallHandle[] = [];
  events.forEach((e, i) => r.process(e, i + 1, absorbed));
  return absorbed;
}

const tenantOfChannel = (r: CallRegistry, channelId: string): string => toRecord(resolve(r.callOfChannel(channelId)!).state, trunkPolicy).tenantId;

describe("a call's tenant", () => {
  it('is asked once, of the founding channel as first seen, and later channels of another context leave it', () => {
    const { registry: r, asked } = registry();
    const caller = snapshot('1000.1', 'PJSIP/acme-trunk-00000001', 'Ring', { context: 'from-acme', exten: '100' });
    const agent = snapshot('1000.2', 'PJSIP/globex-phone-00000002', 'Down', { context: 'from-globex', exten: '+4930222' });
    run(r, [
      createdAt(caller, at(0)),
      stateAt({ ...caller, context: 'from-globex' }, 'Up', at(1)),
      createdAt(agent, at(2)),
      dialAt(caller, agent, '', 'PJSIP/globex-phone', at(3)),
      dialAt(caller, agent, 'ANSWER', 'PJSIP/globex-phone', at(4)),
    ]);
    expect(tenantOfChannel(r, '1000.1')).toBe('acme');
    expect(tenantOfChannel(r, '1000.2')).toBe('acme');
    // The agent's channel founded a call of its own for a moment (created before the Dial joined it).
    expect(asked).toEqual([
      { server: 'pbx-a', context: 'from-acme', exten: '100', endpoint: 'PJSIP/acme-trunk' },
      { server: 'pbx-a', context: 'from-globex', exten: '+4930222', endpoint: 'PJSIP/globex-phone' },
    ]);
  });

  it('falls to the owner of the called number, else to the default tenant', () => {
    const { registry: r } = registry();
    run(r, [
      createdAt(snapshot('2000.1', 'PJSIP/x-00000001', 'Ring', { context: 'from-trunk', exten: '+4930222' }), at(0)),
      createdAt(snapshot('2000.2', 'PJSIP/y-00000002', 'Ring', { context: 'from-trunk', exten: '+4930999' }), at(1)),
    ]);
    expect(tenantOfChannel(r, '2000.1')).toBe('initech');
    expect(tenantOfChannel(r, '2000.2')).toBe('default');
  });

  it('is the surviving call’s when two calls turn out to be one', () => {
    const { registry: r } = registry();
    const a1 = snapshot('3000.1', 'PJSIP/acme-trunk-00000001', 'Up', { context: 'from-acme' });
    const a2 = snapshot('3000.2', 'PJSIP/bob-00000002', 'Up', { context: 'from-internal' });
    const b1 = snapshot('3000.3', 'PJSIP/globex-trunk-00000003', 'Up', { context: 'from-trunk' });
    const absorbed = run(r, [
      createdAt(a1, at(0)),
      dialAt(a1, a2, 'ANSWER', 'PJSIP/bob', at(1)),
      createdAt(b1, at(2)),
      // The globex call (one channel) dials into the acme call (two): the bigger call survives.
      dialAt(b1, a1, '', 'PJSIP/acme', at(3)),
    ]);
    const merged = absorbed.find((h) => h.mergedInto !== null && h.state.legs.some((l) => l.channelId === '3000.3'))!;
    expect(toRecord(merged.state, trunkPolicy).tenantId).toBe('globex');
    expect(resolve(merged)).toBe(r.callOfChannel('3000.1'));
    for (const id of ['3000.1', '3000.2', '3000.3']) expect(tenantOfChannel(r, id)).toBe('acme');
  });

  it('stays with each call when a channel moves between calls by its linkedid', () => {
    const { registry: r } = registry();
    const x1 = snapshot('4000.1', 'PJSIP/acme-trunk-00000001', 'Up', { context: 'from-acme', linkedId: '4000.1' });
    const y1 = snapshot('4000.2', 'PJSIP/globex-trunk-00000002', 'Up', { context: 'from-trunk', linkedId: '4000.2' });
    const y2 = snapshot('4000.3', 'PJSIP/carol-00000003', 'Up', { context: 'from-internal', linkedId: '4000.2' });
    run(r, [createdAt(x1, at(0)), createdAt(y1, at(1)), createdAt(y2, at(2)), stateAt({ ...y2, linkedId: '4000.1' }, 'Up', at(3))]);
    expect(tenantOfChannel(r, '4000.3')).toBe('acme');
    expect(tenantOfChannel(r, '4000.2')).toBe('globex');
  });

  it('of a call a moving channel founds is decided by that channel as first seen', () => {
    const { registry: r } = registry();
    const y1 = snapshot('5000.1', 'PJSIP/globex-trunk-00000001', 'Up', { context: 'from-trunk', linkedId: '5000.1' });
    const y2 = snapshot('5000.2', 'PJSIP/dave-00000002', 'Up', { context: 'from-acme', linkedId: '5000.1' });
    // y2 now carries a linkedid no channel the engine saw has, and another context than it started in.
    run(r, [createdAt(y1, at(0)), createdAt(y2, at(1)), stateAt({ ...y2, linkedId: '4999.9', context: 'from-trunk' }, 'Up', at(2))]);
    const moved = resolve(r.callOfChannel('5000.2')!);
    expect(toRecord(moved.state, trunkPolicy)).toMatchObject({ id: '4999.9', tenantId: 'acme' });
    expect(tenantOfChannel(r, '5000.1')).toBe('globex');
  });

  it('is the default tenant’s without rules', () => {
    const r = new CallRegistry('pbx-a');
    run(r, [createdAt(snapshot('6000.1', 'PJSIP/acme-trunk-00000001', 'Ring', { context: 'from-acme' }), at(0))]);
    expect(tenantOfChannel(r, '6000.1')).toBe('default');
  });

  it('of a call brought back from the store is the stored one, whatever the rules say now', () => {
    const { registry: r } = registry();
    run(r, [createdAt(snapshot('7000.1', 'PJSIP/acme-trunk-00000001', 'Ring', { context: 'from-acme' }), at(0))]);
    const call = r.callOfChannel('7000.1')!;
    r.keepTenant(call, 'globex');
    run(r, [stateAt(snapshot('7000.1', 'PJSIP/acme-trunk-00000001', 'Up', { context: 'from-acme' }), 'Up', at(1))]);
    expect(tenantOfChannel(r, '7000.1')).toBe('globex');
  });
});
