import { describe, expect, it } from 'vitest';
import { dialledTarget, isPhoneNumber } from './dialstring.ts';

describe('what a dialstring dialled', () => {
  it.each([
    ['+4930123@provider', '+4930123'],
    ['provider/sip:+4930123@carrier.example', '+4930123'],
    ['provider/sip:+4930123@carrier.example;user=phone', '+4930123'],
    ['provider/4930123', '4930123'],
    ['100@from-test', '100'],
    ['5551234@from-internal/n', '5551234'],
    ['alice', 'alice'],
    ['', ''],
  ])('%j → %j', (dialstring, target) => {
    expect(dialledTarget(dialstring)).toBe(target);
  });

  it.each([
    ['+4930123', true],
    ['0049301234567', true],
    ['100', true],
    ['alice', false],
    ['s', false],
    ['', false],
    ['+', false],
  ])('%j is a phone number: %s', (text, yes) => {
    expect(isPhoneNumber(text)).toBe(yes);
  });
});
