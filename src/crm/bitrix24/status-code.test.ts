import { describe, expect, it } from 'vitest';
import { callSnapshots } from '../../../test/crm/helpers/calls.ts';
import type { Disposition } from '../../domain/call.ts';
import { durationSec, statusCodeFor } from './status-code.ts';

const finished = (disposition: Disposition, direction: 'inbound' | 'outbound' = 'inbound', cause?: number) => {
  const snaps = callSnapshots({ disposition, direction, cause });
  return snaps[snaps.length - 1]!;
};

describe('statusCodeFor', () => {
  it.each([
    ['answered', 'inbound', undefined, '200'],
    ['busy', 'inbound', undefined, '486'],
    ['no_answer', 'inbound', undefined, '304'],
    ['no_answer', 'outbound', undefined, '480'],
    ['cancelled', 'inbound', undefined, '304'],
    ['cancelled', 'outbound', undefined, '603-S'],
    ['congestion', 'outbound', 34, '503'],
    ['failed', 'outbound', 1, '404'],
    ['failed', 'outbound', 21, '403'],
    ['failed', 'outbound', 18, '480'],
    ['failed', 'outbound', 99, 'OTHER'],
  ] as const)('%s %s (cause %s) → %s', (disposition, direction, cause, code) => {
    expect(statusCodeFor(finished(disposition, direction, cause))).toBe(code);
  });

  it('lets configuration override a row', () => {
    expect(statusCodeFor(finished('cancelled', 'inbound'), { cancelled_inbound: '603-S' })).toBe('603-S');
    expect(statusCodeFor(finished('failed', 'outbound', 1), { failed: '503' })).toBe('503');
  });

  it('reports a call that was answered and talked as answered whatever the last cause says', () => {
    const call = { ...finished('answered'), disposition: 'failed' as const, hangupCause: 0 };
    expect(statusCodeFor(call)).toBe('200');
  });

  it('rounds talk time to seconds for DURATION', () => {
    expect(durationSec({ ...finished('answered'), talkMs: 41_600 })).toBe(42);
    expect(durationSec({ ...finished('no_answer'), talkMs: null })).toBe(0);
  });
});
