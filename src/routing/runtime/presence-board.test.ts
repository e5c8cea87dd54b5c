import { describe, expect, it } from 'vitest';
import type { Presence, RoutingSnapshot } from '../objects/model.ts';
import { extension, ringGroup, snapshot } from '../test-fixtures.ts';
import { presenceBoard, type PresenceSource } from './presence-board.ts';

// The operator console's board: every extension with its phone's state, every ring group with its members'.

const config = snapshot({
  extensions: [extension('e2', '102', { name: 'Bob' }), extension('e1', '101', { name: 'Ann' }), extension('e3', '103', { enabled: false }), extension('e10', '110')],
  ringGroups: [ringGroup('g1', ['e1', 'e2', 'e3'], { name: 'Sales' }), ringGroup('g0', ['e10'], { name: 'Accounts', strategy: 'round-robin' })],
});

function source(states: Record<string, Presence>, since: Record<string, number> = {}): PresenceSource {
  return {
    presenceOf: (_c: RoutingSnapshot, id: string) => states[id] ?? 'idle',
    phoneSince: (_c: RoutingSnapshot, id: string) => since[id] ?? null,
  };
}

describe('presence board', () => {
  it('lists extensions by number with their state, ring groups by name with their members and counts', () => {
    const board = presenceBoard(config, [source({ e1: 'in-call', e2: 'ringing' }, { e1: Date.parse('2026-12-06T08:00:00Z') })], Date.parse('2026-12-06T08:01:00Z'));
    expect(board.at).toBe('2026-12-06T08:01:00.000Z');
    expect(board.extensions.map((e) => [e.number, e.name, e.state, e.since])).toEqual([
      ['101', 'Ann', 'in-call', '2026-12-06T08:00:00.000Z'],
      ['102', 'Bob', 'ringing', null],
      // Disabled: never rung, so unavailable whatever the phone says.
      ['103', 'Ext 103', 'unavailable', null],
      ['110', 'Ext 110', 'idle', null],
    ]);
    expect(board.ringGroups.map((g) => g.name)).toEqual(['Accounts', 'Sales']);
    const sales = board.ringGroups[1]!;
    expect(sales.members).toEqual([
      { extensionId: 'e1', number: '101', state: 'in-call' },
      { extensionId: 'e2', number: '102', state: 'ringing' },
      { extensionId: 'e3', number: '103', state: 'unavailable' },
    ]);
    expect(sales.counts).toEqual({ idle: 0, ringing: 1, 'in-call': 1, unavailable: 1 });
  });

  it('shows the busiest state when servers disagree, and every phone unavailable with no server', () => {
    const board = presenceBoard(config, [source({ e1: 'unavailable', e2: 'idle' }), source({ e1: 'idle', e2: 'in-call' })], 0);
    expect(board.extensions.find((e) => e.id === 'e1')?.state).toBe('idle');
    expect(board.extensions.find((e) => e.id === 'e2')?.state).toBe('in-call');
    const none = presenceBoard(config, [], 0);
    expect(new Set(none.extensions.map((e) => e.state))).toEqual(new Set(['unavailable']));
  });
});
