import { describe, expect, it } from 'vitest';
import type { Presence } from './objects/model.ts';
import { simulateRoute } from './simulate.ts';
import { announcement, conferenceRoom, extension, ivrMenu, ringGroup, schedule, snapshot, voicemailBox } from './test-fixtures.ts';

// A small office: office hours → main menu (1 sales group, 2 support's extension, 3 conference, or an extension
// number dialled directly); after hours → an announcement, then the office voicemail.
const config = snapshot({
  numbers: { '+4930100': { type: 'schedule', id: 'hours' }, '+4930200': null },
  schedules: [schedule('hours', { open: { type: 'ivr', id: 'main' }, closed: { type: 'announcement', id: 'closed' } })],
  ivrMenus: [
    ivrMenu('main', {
      options: {
        '1': { type: 'ring-group', id: 'sales' },
        '2': { type: 'extension', id: 'e103' },
        '3': { type: 'conference', id: 'r1' },
      },
      directDial: true,
    }),
  ],
  ringGroups: [ringGroup('sales', ['e101', 'e102'], { strategy: 'simultaneous', fallback: { type: 'voicemail', id: 'office' } })],
  extensions: [extension('e101', '101'), extension('e102', '102'), extension('e103', '103', { voicemailBoxId: 'vm103' })],
  voicemailBoxes: [voicemailBox('office'), voicemailBox('vm103')],
  announcements: [announcement('closed', { type: 'voicemail', id: 'office' })],
  conferences: [conferenceRoom('r1', { pinHash: 'hash:1234' })],
});

const OPEN = Date.parse('2026-03-27T10:00:00Z'); // Friday 11:00 in Berlin
const CLOSED = Date.parse('2026-03-28T10:00:00Z'); // Saturday

const cases: {
  name: string;
  number?: string;
  at: number;
  digits: string[];
  answeredBy?: string[];
  presence?: Record<string, Presence>;
  kinds: string[];
  outcome: string;
}[] = [
  {
    name: 'DID → schedule → IVR → 1 → group → answered',
    at: OPEN,
    digits: ['1'],
    answeredBy: ['102'],
    kinds: ['number', 'schedule', 'ivr-prompt', 'ivr-choice', 'ring', 'answered'],
    outcome: 'answered by 102 (Ext 102)',
  },
  {
    name: 'nobody in the group answers → voicemail',
    at: OPEN,
    digits: ['1'],
    kinds: ['number', 'schedule', 'ivr-prompt', 'ivr-choice', 'ring', 'no-answer', 'fallback', 'voicemail', 'voicemail', 'hangup'],
    outcome: 'voicemail left in Box office',
  },
  {
    name: 'closed → announcement → voicemail',
    at: CLOSED,
    digits: ['1'],
    answeredBy: ['101'],
    kinds: ['number', 'schedule', 'announcement', 'voicemail', 'voicemail', 'hangup'],
    outcome: 'voicemail left in Box office',
  },
  {
    name: 'extension without an answer → its voicemail',
    at: OPEN,
    digits: ['2'],
    kinds: ['number', 'schedule', 'ivr-prompt', 'ivr-choice', 'ring', 'no-answer', 'fallback', 'voicemail', 'voicemail', 'hangup'],
    outcome: 'voicemail left in Box vm103',
  },
  {
    name: 'an extension dialled directly',
    at: OPEN,
    digits: ['103'],
    answeredBy: ['103'],
    kinds: ['number', 'schedule', 'ivr-prompt', 'ivr-choice', 'ring', 'answered'],
    outcome: 'answered by 103 (Ext 103)',
  },
  {
    name: 'no key at all → timeouts → failover',
    at: OPEN,
    digits: [],
    kinds: ['number', 'schedule', 'ivr-prompt', 'ivr-choice', 'ivr-prompt', 'ivr-choice', 'fallback', 'hangup'],
    outcome: 'ended: route ends the call',
  },
  {
    name: 'conference: wrong pin, then the right one',
    at: OPEN,
    digits: ['3', '1111#', '1234#'],
    kinds: ['number', 'schedule', 'ivr-prompt', 'ivr-choice', 'conference', 'conference'],
    outcome: 'joined conference Room r1',
  },
  {
    name: 'an unavailable member fails at once; the other does not answer',
    at: OPEN,
    digits: ['1'],
    answeredBy: ['101'],
    presence: { '101': 'unavailable' },
    kinds: ['number', 'schedule', 'ivr-prompt', 'ivr-choice', 'ring', 'no-answer', 'fallback', 'voicemail', 'voicemail', 'hangup'],
    outcome: 'voicemail left in Box office',
  },
  {
    name: 'a number without a route',
    number: '+4930200',
    at: OPEN,
    digits: [],
    kinds: ['number', 'hangup'],
    outcome: 'ended: no route for +4930200',
  },
];

describe('simulateRoute', () => {
  it.each(cases)('$name', ({ number, at, digits, answeredBy, presence, kinds, outcome }) => {
    const r = simulateRoute(config, {
      number: number ?? '+4930100',
      from: '+4917000',
      at,
      digits,
      answeredBy,
      presence,
      checkPin: (hash, pin) => hash === `hash:${pin}`,
    });
    expect(r.steps.map((s) => s.kind)).toEqual(kinds);
    expect(r.outcome).toBe(outcome);
  });

  it('shows the decisions in the steps: branch, key, who rang, the message length', () => {
    const r = simulateRoute(config, { number: '+4930100', from: null, at: OPEN, digits: ['1'] });
    expect(r.steps[1]).toEqual({ kind: 'schedule', scheduleId: 'hours', name: 'Hours hours', branch: 'open', reason: 'open: Fri 09:00-18:00' });
    expect(r.steps[3]).toEqual({ kind: 'ivr-choice', menuId: 'main', name: 'Menu main', digits: '1', result: 'option' });
    expect(r.steps[4]).toEqual({ kind: 'ring', targetType: 'ring-group', targetId: 'sales', name: 'Group sales', extensionIds: ['e101', 'e102'] });
    expect(r.steps.at(-2)).toEqual({ kind: 'voicemail', boxId: 'office', name: 'Box office', durationS: 10 });
  });

  it('without a pin verifier no pin matches', () => {
    const r = simulateRoute(config, { number: '+4930100', from: null, at: OPEN, digits: ['3', '1234#', '1234#', '1234#'] });
    expect(r.steps.filter((s) => s.kind === 'conference').map((s) => (s.kind === 'conference' ? s.result : ''))).toEqual([
      'wrong-pin',
      'wrong-pin',
      'wrong-pin',
    ]);
    expect(r.outcome).toBe('ended: wrong conference pin');
  });
});
