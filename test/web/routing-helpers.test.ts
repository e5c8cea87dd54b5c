import { describe, expect, it } from 'vitest';
import { parseRoute, routeHref } from '../../web/src/lib/hash-route.ts';
import { promptFrom, promptText } from '../../web/src/lib/routing-prompt.ts';
import { describeDestination, fieldWords, routingErrorText } from '../../web/src/lib/routing-words.ts';
import { endsNextDay, segmentsOf } from '../../web/src/lib/week-grid.ts';
import type { RoutingLists } from '../../web/src/api/routing-types.ts';

/** As the dashboard's client builds them (web/src/api/client.ts, which needs a browser). */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSec: number | null = null,
    readonly details: unknown[] = [],
  ) {
    super(message);
  }
}

const lists = {
  extensions: [{ id: 'ext_1', name: 'Alice', number: '201' }],
  'ring-groups': [{ id: 'rg_1', name: 'Sales', number: null }],
  'ivr-menus': [{ id: 'ivr_1', name: 'Main menu' }],
  schedules: [],
  'voicemail-boxes': [],
  conferences: null,
  announcements: [],
} as unknown as RoutingLists;

describe('routing pages: words and helpers', () => {
  it('routes #/routing/<page>, defaulting to the numbers', () => {
    expect(parseRoute('#/routing/ivr-menus')).toEqual({ view: 'routing', page: 'ivr-menus' });
    expect(parseRoute('#/routing')).toEqual({ view: 'routing', page: 'numbers' });
    expect(parseRoute('#/routing/nonsense')).toEqual({ view: 'routing', page: 'numbers' });
    expect(routeHref({ view: 'routing', page: 'schedules' })).toBe('#/routing/schedules');
  });

  it('names destinations by their objects, an unknown one by its id', () => {
    expect(describeDestination({ type: 'extension', id: 'ext_1' }, lists)).toBe('Extension 201 Alice');
    expect(describeDestination({ type: 'ring-group', id: 'rg_1' }, lists)).toBe('Ring group Sales');
    expect(describeDestination({ type: 'ivr', id: 'ivr_gone' }, lists)).toBe('IVR menu ivr_gone');
    expect(describeDestination({ type: 'conference', id: 'conf_1' }, lists)).toBe('Conference room conf_1');
    expect(describeDestination({ type: 'external', number: '+4930123' }, lists)).toBe('Outside number +4930123');
    expect(describeDestination({ type: 'hangup' }, lists)).toBe('Hang up');
    expect(describeDestination(null, lists)).toBe('not routed');
  });

  it('puts API errors in words: what uses an object, which fields are wrong, which references are missing', () => {
    const inUse = new ApiError(409, 'CF_ROUTING_IN_USE', 'in use', null, [
      { kind: 'ivr', id: 'ivr_1', field: 'options.2' },
      { kind: 'number', id: '+4930123', field: 'destination' },
    ]);
    expect(routingErrorText(inUse, lists)).toBe(
      'Still in use, so it cannot be deleted. Used by: IVR menu Main menu (key 2); Number +4930123 (destination). Change those first.',
    );
    const invalid = new ApiError(422, 'CF_ROUTING_INVALID', 'invalid request', null, [{ path: '/ringTimeoutS', message: 'Too big: expected number to be <=300' }]);
    expect(routingErrorText(invalid, lists)).toBe('Not saved. Check ringTimeoutS: Too big: expected number to be <=300.');
    const reference = new ApiError(422, 'CF_ROUTING_INVALID_REFERENCE', 'no such', null, [{ field: 'fallback', type: 'voicemail', id: 'vm_x' }]);
    expect(routingErrorText(reference, lists)).toBe('Not saved: fallback names a Voicemail box that does not exist (vm_x).');
    expect(routingErrorText(new Error('offline'), lists)).toBe('offline');
    expect(fieldWords('/forward/busy/id')).toBe('forward busy.id');
    expect(fieldWords('options.#')).toBe('key #');
  });

  it('splits a range past midnight onto the next day (Sunday onto Monday)', () => {
    expect(endsNextDay({ from: '22:00', to: '02:00' })).toBe(true);
    expect(endsNextDay({ from: '09:00', to: '17:00' })).toBe(false);
    expect(endsNextDay({ from: '00:00', to: '00:00' })).toBe(true);
    expect(segmentsOf([{ day: 5, from: '22:00', to: '02:00' }])).toEqual([
      { day: 5, start: 1320, end: 1440, carried: false },
      { day: 6, start: 0, end: 120, carried: true },
    ]);
    expect(segmentsOf([{ day: 7, from: '20:00', to: '00:00' }])).toEqual([{ day: 7, start: 1200, end: 1440, carried: false }]);
    expect(segmentsOf([{ day: 7, from: '23:00', to: '01:00' }])[1]).toEqual({ day: 1, start: 0, end: 60, carried: true });
    expect(segmentsOf([{ day: 1, from: '9', to: '17:00' }])).toEqual([]);
  });

  it('keeps an audio prompt unless text replaces it; an empty optional prompt is none', () => {
    expect(promptFrom('  Hello ', null)).toEqual({ kind: 'text', text: 'Hello' });
    expect(promptFrom('', { kind: 'audio', audioId: 'a1' })).toEqual({ kind: 'audio', audioId: 'a1' });
    expect(promptFrom('', { kind: 'text', text: 'old' })).toBeNull();
    expect(promptText({ kind: 'audio', audioId: 'a1' })).toBe('');
  });
});
