import { describe, expect, it } from 'vitest';
import { TenantDirectory } from './tenant-directory.ts';

const channel = { server: 'pbx-a', context: 'from-acme', exten: '100', endpoint: 'PJSIP/acme-trunk' };

describe('TenantDirectory', () => {
  it('gives every call the default tenant until rules are set', () => {
    expect(new TenantDirectory().tenantOf(channel)).toBe('default');
  });

  it('answers with the rules it was last given, through a detached tenantOf', () => {
    const directory = new TenantDirectory();
    const { tenantOf } = directory;
    directory.replace({ rules: [{ tenantId: 'acme', match: { context: 'from-acme' } }], numbers: new Map() });
    expect(tenantOf(channel)).toBe('acme');
    directory.replace({ rules: [], numbers: new Map([['100', 'globex']]) });
    expect(tenantOf(channel)).toBe('globex');
  });
});
