import { describe, expect, it } from 'vitest';
import { danglingReferences, findLoop, missingReferences, usesOf } from './graph.ts';
import type { Announcement, Destination, Extension, IvrMenu, RingGroup, RoutingSnapshot, Schedule, VoicemailBox } from './model.ts';

const at = '2026-12-01T00:00:00.000Z';
const stamps = { tenantId: 't1', createdAt: at, updatedAt: at };

function ext(id: string, number: string, more: Partial<Extension> = {}): Extension {
  return { ...stamps, id, number, name: id, endpoint: `acme-${number}`, callerIdName: null, ringTimeoutS: 20, voicemailBoxId: null, forward: {}, record: false, enabled: true, ...more };
}
function ann(id: string, next: Destination): Announcement {
  return { ...stamps, id, name: id, prompt: { kind: 'text', text: 'hello' }, next };
}
function group(id: string, members: string[], fallback: Destination): RingGroup {
  return { ...stamps, id, name: id, number: null, strategy: 'sequential', members: members.map((extensionId) => ({ extensionId, timeoutS: null })), memberTimeoutS: 20, turns: 1, totalTimeoutS: 60, skipBusy: false, fallback, nextIndex: 0 };
}
function ivr(id: string, options: IvrMenu['options'], failover: Destination): IvrMenu {
  return { ...stamps, id, name: id, prompt: { kind: 'text', text: 'menu' }, options, directDial: false, timeoutS: 5, interDigitTimeoutMs: 2000, invalidPrompt: null, timeoutPrompt: null, retries: 2, failover };
}
function schedule(id: string, open: Destination, closed: Destination): Schedule {
  return { ...stamps, id, name: id, timezone: null, weekly: [], exceptions: [], open, closed };
}
function box(id: string): VoicemailBox {
  return { ...stamps, id, number: '9100', name: id, greeting: null, maxMessageS: 120, pinHash: null };
}

function snapshot(parts: {
  extensions?: Extension[];
  ringGroups?: RingGroup[];
  ivrMenus?: IvrMenu[];
  schedules?: Schedule[];
  voicemailBoxes?: VoicemailBox[];
  announcements?: Announcement[];
  numbers?: [string, Destination | null][];
}): RoutingSnapshot {
  const byId = <T extends { id: string }>(items: T[] = []) => new Map(items.map((item) => [item.id, item]));
  return {
    tenantId: 't1',
    timezone: 'Europe/Berlin',
    numbers: new Map((parts.numbers ?? []).map(([number, destination]) => [number, { tenantId: 't1', number, destination, record: false }])),
    extensions: byId(parts.extensions),
    ringGroups: byId(parts.ringGroups),
    ivrMenus: byId(parts.ivrMenus),
    schedules: byId(parts.schedules),
    voicemailBoxes: byId(parts.voicemailBoxes),
    conferences: new Map(),
    announcements: byId(parts.announcements),
  };
}

describe('missingReferences', () => {
  it('names each reference to an object the tenant does not have, once; outside numbers, AI agents and hangups name none', () => {
    const s = snapshot({ extensions: [ext('e1', '201')] });
    const missing = missingReferences(s, [
      { type: 'extension', id: 'e1' },
      { type: 'extension', id: 'e2' },
      { type: 'extension', id: 'e2' },
      { type: 'ivr', id: 'e1' },
      { type: 'external', number: '+4930123' },
      { type: 'ai-agent', id: 'bot' },
      { type: 'hangup' },
    ]);
    expect(missing).toEqual([
      { type: 'extension', id: 'e2' },
      { type: 'ivr', id: 'e1' },
    ]);
  });
});

describe('usesOf', () => {
  it('lists the objects and numbers that point at an object, with the field', () => {
    const s = snapshot({
      extensions: [ext('e1', '201', { voicemailBoxId: 'vm1' }), ext('e2', '202', { forward: { busy: { type: 'extension', id: 'e1' } } })],
      voicemailBoxes: [box('vm1')],
      ringGroups: [group('g1', ['e1', 'e2'], { type: 'voicemail', id: 'vm1' })],
      ivrMenus: [ivr('m1', { '1': { type: 'ring-group', id: 'g1' }, '2': { type: 'extension', id: 'e1' } }, { type: 'hangup' })],
      schedules: [schedule('s1', { type: 'ivr', id: 'm1' }, { type: 'voicemail', id: 'vm1' })],
      numbers: [
        ['+4930111', { type: 'schedule', id: 's1' }],
        ['+4930222', null],
      ],
    });
    expect(usesOf(s, { type: 'extension', id: 'e1' })).toEqual([
      { kind: 'extension', id: 'e2', field: 'forward.busy' },
      { kind: 'ring-group', id: 'g1', field: 'members' },
      { kind: 'ivr', id: 'm1', field: 'options.2' },
    ]);
    expect(usesOf(s, { type: 'voicemail', id: 'vm1' })).toEqual([
      { kind: 'extension', id: 'e1', field: 'voicemailBoxId' },
      { kind: 'ring-group', id: 'g1', field: 'fallback' },
      { kind: 'schedule', id: 's1', field: 'closed' },
    ]);
    expect(usesOf(s, { type: 'schedule', id: 's1' })).toEqual([{ kind: 'number', id: '+4930111', field: 'destination' }]);
    expect(usesOf(s, { type: 'ivr', id: 'nothing' })).toEqual([]);
  });

  it('does not count an object pointing at itself as a use (deleting it removes both)', () => {
    const s = snapshot({ ivrMenus: [ivr('m1', { '0': { type: 'ivr', id: 'm1' } }, { type: 'ivr', id: 'm1' })] });
    expect(usesOf(s, { type: 'ivr', id: 'm1' })).toEqual([]);
  });
});

describe('danglingReferences', () => {
  it('finds references to objects that are gone', () => {
    const s = snapshot({ announcements: [ann('a1', { type: 'conference', id: 'c9' })] });
    expect(danglingReferences(s)).toEqual([{ from: { kind: 'announcement', id: 'a1', field: 'next' }, to: { type: 'conference', id: 'c9' } }]);
  });
});

describe('findLoop', () => {
  it('finds a cycle of announcements', () => {
    const s = snapshot({
      announcements: [ann('a1', { type: 'announcement', id: 'a2' }), ann('a2', { type: 'announcement', id: 'a3' }), ann('a3', { type: 'announcement', id: 'a1' })],
    });
    const loop = findLoop(s);
    expect(loop).not.toBeNull();
    expect(loop!.map((r) => r.id)).toEqual(['a1', 'a2', 'a3', 'a1']);
  });

  it('finds an announcement that is its own next, and a loop through an always-forward', () => {
    expect(findLoop(snapshot({ announcements: [ann('a1', { type: 'announcement', id: 'a1' })] }))).toEqual([
      { type: 'announcement', id: 'a1' },
      { type: 'announcement', id: 'a1' },
    ]);
    const s = snapshot({
      extensions: [ext('e1', '201', { forward: { always: { type: 'announcement', id: 'a1' } } })],
      announcements: [ann('a1', { type: 'extension', id: 'e1' })],
    });
    expect(findLoop(s)?.map((r) => `${r.type}:${r.id}`)).toEqual(['extension:e1', 'announcement:a1', 'extension:e1']);
  });

  it('leaves conditional cycles to the flow machine: IVR failovers, fallbacks, schedules, no-answer forwards', () => {
    const s = snapshot({
      extensions: [ext('e1', '201', { forward: { noAnswer: { type: 'ring-group', id: 'g1' } } })],
      ringGroups: [group('g1', ['e1'], { type: 'ivr', id: 'm1' })],
      ivrMenus: [ivr('m1', { '1': { type: 'ivr', id: 'm1' } }, { type: 'schedule', id: 's1' })],
      schedules: [schedule('s1', { type: 'announcement', id: 'a1' }, { type: 'extension', id: 'e1' })],
      announcements: [ann('a1', { type: 'ivr', id: 'm1' })],
    });
    expect(findLoop(s)).toBeNull();
  });

  it('is not fooled by a chain that ends, or by two chains meeting', () => {
    const s = snapshot({
      announcements: [ann('a1', { type: 'announcement', id: 'a3' }), ann('a2', { type: 'announcement', id: 'a3' }), ann('a3', { type: 'hangup' })],
    });
    expect(findLoop(s)).toBeNull();
  });
});
