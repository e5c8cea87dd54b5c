import { describe, expect, it } from 'vitest';
import { MAX_PHONES, phonePresence, PhoneStates, presenceOfDeviceState } from './phone-states.ts';

// Phones as Asterisk reports them: device states and registrations, folded into a presence per endpoint.

describe('phone states', () => {
  it.each([
    ['NOT_INUSE', 'idle'],
    ['RINGING', 'ringing'],
    ['RINGINUSE', 'in-call'],
    ['INUSE', 'in-call'],
    ['BUSY', 'in-call'],
    ['ONHOLD', 'in-call'],
    ['UNAVAILABLE', 'unavailable'],
    ['INVALID', 'unavailable'],
    ['UNKNOWN', null],
    ['SOMETHING_NEW', null],
  ] as const)('reads device state %s as %s', (state, presence) => {
    expect(presenceOfDeviceState(state)).toBe(presence);
  });

  it('keeps PJSIP devices only, by endpoint, and dates a change only when the presence changes', () => {
    const phones = new PhoneStates();
    phones.device('Local/100@from-test', 'INUSE', 1);
    phones.device('PJSIP/acme-101', 'NOT_INUSE', 10);
    expect(phones.size).toBe(1);
    expect(phonePresence(phones.of('acme-101'))).toBe('idle');
    phones.device('PJSIP/acme-101', 'NOT_INUSE', 20);
    expect(phones.of('acme-101')?.since).toBe(10);
    phones.device('PJSIP/acme-101', 'RINGING', 30);
    expect(phonePresence(phones.of('acme-101'))).toBe('ringing');
    expect(phones.of('acme-101')?.since).toBe(30);
    // An unregistered phone is unavailable whatever its device state says.
    phones.endpoint('acme-101', 'offline', 40);
    expect(phonePresence(phones.of('acme-101'))).toBe('unavailable');
    phones.endpoint('acme-101', 'online', 50);
    expect(phonePresence(phones.of('acme-101'))).toBe('ringing');
    expect(phonePresence(phones.of('acme-999'))).toBeNull();
  });

  it('replaces what it knew with a fresh listing after a reconnect, keeping the time of unchanged phones', () => {
    const phones = new PhoneStates();
    phones.device('PJSIP/acme-101', 'NOT_INUSE', 10);
    phones.device('PJSIP/acme-102', 'INUSE', 10);
    phones.device('PJSIP/acme-103', 'INUSE', 10);
    phones.seed(
      [
        { resource: 'acme-101', state: 'online', channel_ids: [] },
        { resource: 'acme-102', state: 'online', channel_ids: [] },
        { resource: 'acme-104', state: 'offline', channel_ids: [] },
        { resource: 'acme-105', state: 'unknown', channel_ids: ['1700000000.7'] },
      ],
      99,
    );
    expect(phones.of('acme-101')).toEqual({ device: 'idle', online: true, since: 10 });
    expect(phones.of('acme-102')).toEqual({ device: 'idle', online: true, since: 99 });
    expect(phones.of('acme-103')).toBeUndefined();
    expect(phonePresence(phones.of('acme-104'))).toBe('unavailable');
    // A phone with a channel counts as in a call until its device state says more.
    expect(phonePresence(phones.of('acme-105'))).toBe('in-call');
    phones.device('PJSIP/acme-105', 'RINGING', 100);
    expect(phonePresence(phones.of('acme-105'))).toBe('ringing');
  });

  it('holds at most MAX_PHONES phones and counts what it had to drop', () => {
    const phones = new PhoneStates();
    for (let i = 0; i < MAX_PHONES + 5; i++) phones.device(`PJSIP/p${i}`, 'NOT_INUSE', 1);
    expect(phones.size).toBe(MAX_PHONES);
    expect(phones.dropped).toBe(5);
    // Phones already known still change.
    phones.device('PJSIP/p0', 'INUSE', 2);
    expect(phonePresence(phones.of('p0'))).toBe('in-call');
  });
});
