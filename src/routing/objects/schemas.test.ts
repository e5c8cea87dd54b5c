import { describe, expect, it } from 'vitest';
import {
  clockTimeSchema,
  dateSchema,
  destinationSchema,
  externalNumberSchema,
  extensionInput,
  internalNumberSchema,
  ivrMenuInput,
  pinSchema,
  ringGroupInput,
  scheduleInput,
  timeZoneSchema,
} from './schemas.ts';

const ok = (schema: { safeParse: (v: unknown) => { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('routing input schemas', () => {
  it('reads clock times 00:00 to 24:00 and nothing else', () => {
    for (const time of ['00:00', '09:30', '23:59', '24:00']) expect(ok(clockTimeSchema, time), time).toBe(true);
    for (const time of ['24:01', '25:00', '9:00', '09:60', '0900', '09:00:00', '', ' 09:00']) expect(ok(clockTimeSchema, time), time).toBe(false);
  });

  it('reads real calendar dates only', () => {
    for (const date of ['2026-12-25', '2028-02-29', '2026-01-01']) expect(ok(dateSchema, date), date).toBe(true);
    for (const date of ['2026-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '26-12-25', '2026-12-25T00:00']) expect(ok(dateSchema, date), date).toBe(false);
  });

  it('knows IANA time zones', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York', 'UTC', 'Asia/Kolkata']) expect(ok(timeZoneSchema, zone), zone).toBe(true);
    for (const zone of ['Mars/Olympus_Mons', '', 'Europe/' + 'x'.repeat(80), "UTC'; DROP TABLE schedules;--"]) expect(ok(timeZoneSchema, zone), zone).toBe(false);
  });

  it('bounds numbers and PINs', () => {
    expect(ok(internalNumberSchema, '20')).toBe(true);
    expect(ok(internalNumberSchema, '12345678')).toBe(true);
    for (const n of ['2', '123456789', '20a', '+201', '']) expect(ok(internalNumberSchema, n), n).toBe(false);
    for (const n of ['+4930123456', '112', '004930123']) expect(ok(externalNumberSchema, n), n).toBe(true);
    for (const n of ['+49 30 123', '12', '+1234567890123456', '+49abc']) expect(ok(externalNumberSchema, n), n).toBe(false);
    for (const pin of ['123', '123456789012']) expect(ok(pinSchema, pin)).toBe(true);
    for (const pin of ['12', '1234567890123', '12a']) expect(ok(pinSchema, pin)).toBe(false);
  });

  it('reads every destination type and refuses unknown ones', () => {
    for (const d of [{ type: 'extension', id: 'ext_1' }, { type: 'external', number: '+4930111' }, { type: 'hangup' }, { type: 'ai-agent', id: 'bot-1' }]) {
      expect(ok(destinationSchema, d), JSON.stringify(d)).toBe(true);
    }
    for (const d of [{ type: 'dialplan', id: 'x' }, { type: 'extension' }, { type: 'extension', id: '' }, { type: 'extension', id: 'a b' }, { type: 'external', number: 'x' }]) {
      expect(ok(destinationSchema, d), JSON.stringify(d)).toBe(false);
    }
  });

  it('fills defaults and bounds lists', () => {
    expect(extensionInput.parse({ number: '201', name: ' Anna ' })).toEqual({
      number: '201',
      name: 'Anna',
      callerIdName: null,
      ringTimeoutS: 20,
      voicemailBoxId: null,
      forward: {},
      record: false,
      enabled: true,
    });
    const members = (n: number) => Array.from({ length: n }, (_, i) => ({ extensionId: `ext_${i}` }));
    expect(ok(ringGroupInput, { name: 'g', members: members(64) })).toBe(true);
    expect(ok(ringGroupInput, { name: 'g', members: members(65) })).toBe(false);
    expect(ok(ivrMenuInput, { name: 'm', prompt: { kind: 'text', text: 'hi' }, options: { '*': { type: 'hangup' }, '#': { type: 'hangup' } } })).toBe(true);
    expect(ok(ivrMenuInput, { name: 'm', prompt: { kind: 'text', text: 'hi' }, options: { '10': { type: 'hangup' } } })).toBe(false);
    const base = { name: 's', open: { type: 'hangup' }, closed: { type: 'hangup' } };
    expect(ok(scheduleInput, { ...base, exceptions: [{ date: '2026-12-25' }, { date: '2026-12-25' }] })).toBe(false);
    expect(scheduleInput.parse({ ...base, exceptions: [{ date: '2026-12-24', closed: false, ranges: [{ from: '09:00', to: '12:00' }] }] }).exceptions).toEqual([
      { date: '2026-12-24', name: '', closed: false, ranges: [{ from: '09:00', to: '12:00' }] },
    ]);
  });
});
