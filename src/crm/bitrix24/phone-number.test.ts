import { describe, expect, it } from 'vitest';
import { bitrixPhoneNumber, dialableNumber } from './phone-number.ts';

describe('PHONE_NUMBER for Bitrix24', () => {
  it.each([
    ['+4930123', '+4930123'],
    ['5554000', '5554000'],
    [' +49 (30) 123-45.67 ', '+49301234567'],
    ['030/1234', '0301234'],
    ['sip:+4930123@pbx.example;user=phone', '+4930123'],
    ['tel:+4930123', '+4930123'],
    ['0', '0'],
  ])('%j is dialable as %j', (raw, want) => {
    expect(dialableNumber(raw)).toBe(want);
    expect(bitrixPhoneNumber(raw, '0000000000')).toEqual({ number: want, original: null });
  });

  it.each(['', '   ', 'anonymous', 'Anonymous', 'Restricted', 'unknown', 'sipp', 'alice2', 'sip:alice@pbx', '*86', '+'])(
    '%j is not a number: the placeholder goes, the original is kept',
    (raw) => {
      expect(dialableNumber(raw)).toBeNull();
      expect(bitrixPhoneNumber(raw, '0000000000')).toEqual({ number: '0000000000', original: raw });
    },
  );
});
