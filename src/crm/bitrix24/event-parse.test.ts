import { describe, expect, it } from 'vitest';
import { parseBitrixEvent, parseBracketForm } from './event-parse.ts';

const form = [
  'event=ONEXTERNALCALLSTART',
  'event_handler_id=7',
  'data%5BPHONE_NUMBER%5D=84951234567',
  'data%5BPHONE_NUMBER_INTERNATIONAL%5D=%2B74951234567',
  'data%5BEXTENSION%5D=',
  'data%5BUSER_ID%5D=5',
  'data%5BCALL_LIST_ID%5D=0',
  'data%5BLINE_NUMBER%5D=line1',
  'data%5BIS_MOBILE%5D=0',
  'data%5BCALL_ID%5D=externalCall.abc.1',
  'data%5BCRM_ENTITY_TYPE%5D=CONTACT',
  'data%5BCRM_ENTITY_ID%5D=42',
  'ts=1700000000',
  'auth%5Bdomain%5D=example.bitrix24.com',
  'auth%5Bapplication_token%5D=app-token-1',
].join('&');

describe('Bitrix24 event parsing', () => {
  it('reads ONEXTERNALCALLSTART from its form encoding', () => {
    expect(parseBitrixEvent(parseBracketForm(form))).toEqual({
      kind: 'external_call_start',
      applicationToken: 'app-token-1',
      start: {
        bitrixCallId: 'externalCall.abc.1',
        userId: 5,
        phoneNumber: '84951234567',
        phoneNumberInternational: '+74951234567',
        lineNumber: 'line1',
        crmEntityType: 'CONTACT',
        crmEntityId: '42',
      },
    });
  });

  it('accepts flat bracket keys, other letter case, and JSON', () => {
    const flat = Object.fromEntries(new URLSearchParams(form));
    expect(parseBitrixEvent(flat).kind).toBe('external_call_start');
    const json = { EVENT: 'onExternalCallStart', DATA: { call_id: 'x', user_id: 3, phone_number: '123' }, AUTH: { APPLICATION_TOKEN: 't' } };
    expect(parseBitrixEvent(json)).toMatchObject({ kind: 'external_call_start', applicationToken: 't', start: { bitrixCallId: 'x', userId: 3 } });
  });

  it('names what is missing and passes other events through', () => {
    expect(parseBitrixEvent({ event: 'ONEXTERNALCALLSTART', data: { USER_ID: '5' } })).toMatchObject({ kind: 'invalid', problem: 'data[CALL_ID] is missing' });
    expect(parseBitrixEvent({ event: 'ONCRMLEADADD' })).toMatchObject({ kind: 'other', event: 'ONCRMLEADADD' });
    expect(parseBitrixEvent('garbage')).toMatchObject({ kind: 'invalid' });
  });
});
