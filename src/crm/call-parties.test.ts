import { describe, expect, it } from 'vitest';
import { callSnapshots } from '../../test/crm/helpers/calls.ts';
import { makeLeg } from '../../test/support/call-factory.ts';
import { callParties, extensionMatcher, extensionOfLeg } from './call-parties.ts';

const isExt = extensionMatcher(undefined);

describe('callParties', () => {
  it('inbound: the client is the caller, the line the DID, the employee the answering extension', () => {
    const snaps = callSnapshots({ direction: 'inbound', extension: '105', client: '+4930123', did: '+4930999' });
    const p = callParties(snaps[snaps.length - 1]!, isExt);
    expect(p).toEqual({ clientNumber: '+4930123', lineNumber: '+4930999', ringingExtensions: ['105'], answeringExtension: '105', primaryExtension: '105' });
  });

  it('inbound before anyone rings: no employee yet', () => {
    expect(callParties(callSnapshots()[0]!, isExt).primaryExtension).toBeNull();
  });

  it('outbound: the client is the called number and the employee the caller', () => {
    const snaps = callSnapshots({ direction: 'outbound', extension: '102', client: '+4930555' });
    const p = callParties(snaps[0]!, isExt);
    expect(p.clientNumber).toBe('+4930555');
    expect(p.primaryExtension).toBe('102');
    expect(p.lineNumber).toBeNull();
  });

  it('reads extensions from PJSIP and Local endpoints only when they look like extensions', () => {
    expect(extensionOfLeg(makeLeg({ endpoint: 'Local/205@from-internal' }), isExt)).toBe('205');
    expect(extensionOfLeg(makeLeg({ endpoint: 'PJSIP/provider' }), isExt)).toBeNull();
    expect(extensionOfLeg(makeLeg({ endpoint: 'PJSIP/provider' }), extensionMatcher('^[a-z]+$'))).toBe('provider');
  });
});
