import { describe, expect, it } from 'vitest';
import { compareUniqueids, endpointOf, localPairKey } from './channel-name.ts';

describe('compareUniqueids', () => {
  it('orders by creation second, then by counter as a number, not as text', () => {
    const ids = ['1795234265.10', '1795234266.1', '1795234265.9', '1795234264.200'];
    expect([...ids].sort(compareUniqueids)).toEqual(['1795234264.200', '1795234265.9', '1795234265.10', '1795234266.1']);
  });

  it('reads a system name prefix and ignores it', () => {
    expect(compareUniqueids('pbx-b-1795234265.2', 'pbx-a-1795234265.3')).toBeLessThan(0);
    expect(compareUniqueids('pbx-a-1795234266.1', '1795234265.7')).toBeGreaterThan(0);
  });

  it('breaks a tie of equal numbers by text, and an id equals only itself', () => {
    expect(compareUniqueids('a-1795234265.2', 'b-1795234265.2')).toBeLessThan(0);
    expect(compareUniqueids('b-1795234265.2', 'a-1795234265.2')).toBeGreaterThan(0);
    expect(compareUniqueids('1795234265.2', '1795234265.2')).toBe(0);
  });

  it('puts ids of another form after uniqueids, ordered by text among themselves', () => {
    const ids = ['zeta', '1795234265.2', 'alpha', '1795234265.', '.5', '17952342651'];
    expect([...ids].sort(compareUniqueids)).toEqual(['1795234265.2', '.5', '1795234265.', '17952342651', 'alpha', 'zeta']);
  });

  it('takes the digits around the last dot when there are several', () => {
    // 1.2.3 is second 2, counter 3; 9.1.4 is second 1, counter 4.
    expect(compareUniqueids('9.1.4', '1.2.3')).toBeLessThan(0);
  });
});

describe('channel names', () => {
  it('gives the endpoint of a channel name', () => {
    expect(endpointOf('PJSIP/alice-00000003')).toBe('PJSIP/alice');
    expect(endpointOf('Local/100@ctx-0000000e;2')).toBe('Local/100@ctx');
    expect(endpointOf('PJSIP/trunk')).toBe('PJSIP/trunk');
  });

  it('pairs the halves of a Local channel only', () => {
    expect(localPairKey('Local/100@ctx-0000000e;1')).toBe('Local/100@ctx-0000000e');
    expect(localPairKey('Local/100@ctx-0000000e;2')).toBe('Local/100@ctx-0000000e');
    expect(localPairKey('PJSIP/alice-00000003')).toBeNull();
  });
});
