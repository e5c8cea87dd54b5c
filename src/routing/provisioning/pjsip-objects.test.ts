import { describe, expect, it } from 'vitest';
import { callerIdOf, generateSipPassword, pjsipObjectsFor, pjsipRemovalOf, SIP_PASSWORD_LENGTH } from './pjsip-objects.ts';

const ext = { number: '201', name: 'Anna Berg', endpoint: 'acme-201', callerIdName: null };
const fieldsOf = (objects: ReturnType<typeof pjsipObjectsFor>, type: string) => Object.fromEntries(objects.find((o) => o.type === type)!.fields.map((f) => [f.attribute, f.value]));

describe('PJSIP objects of an extension', () => {
  it('makes an auth, an AOR and an endpoint named after the endpoint, in the order Asterisk needs them', () => {
    const objects = pjsipObjectsFor(ext, 'pw-0123456789abcdefghij', { context: 'callflow-phones', transport: null });
    expect(objects.map((o) => [o.type, o.id])).toEqual([
      ['auth', 'acme-201'],
      ['aor', 'acme-201'],
      ['endpoint', 'acme-201'],
    ]);
    expect(fieldsOf(objects, 'auth')).toEqual({ auth_type: 'userpass', username: 'acme-201', password: 'pw-0123456789abcdefghij' });
    expect(fieldsOf(objects, 'aor')).toEqual({ max_contacts: '1', remove_existing: 'yes' });
    expect(fieldsOf(objects, 'endpoint')).toEqual({
      context: 'callflow-phones',
      disallow: 'all',
      allow: 'ulaw,alaw',
      auth: 'acme-201',
      aors: 'acme-201',
      callerid: '"Anna Berg" <201>',
      direct_media: 'no',
      rtp_symmetric: 'yes',
      force_rport: 'yes',
      rewrite_contact: 'yes',
    });
    // disallow=all comes before allow: an update of an existing endpoint starts its codecs over.
    const names = objects[2]!.fields.map((f) => f.attribute);
    expect(names.indexOf('disallow')).toBeLessThan(names.indexOf('allow'));
  });

  it('takes the caller id name when set, the configured context and transport', () => {
    const objects = pjsipObjectsFor({ ...ext, callerIdName: 'Sales desk' }, 'x'.repeat(24), { context: 'tenant-phones', transport: 'transport-udp' });
    expect(fieldsOf(objects, 'endpoint')).toMatchObject({ callerid: '"Sales desk" <201>', context: 'tenant-phones', transport: 'transport-udp' });
  });

  it('keeps header-breaking characters out of the caller id', () => {
    expect(callerIdOf('Ann "the boss" <x>\\\r\nB', '201')).toBe('"Ann the boss xB" <201>');
    expect(callerIdOf('"<>"', '77')).toBe('<77>');
    expect(callerIdOf('a'.repeat(200), '77')).toBe(`"${'a'.repeat(80)}" <77>`);
  });

  it('removes the endpoint before what it refers to', () => {
    expect(pjsipRemovalOf('acme-201')).toEqual([
      { type: 'endpoint', id: 'acme-201' },
      { type: 'aor', id: 'acme-201' },
      { type: 'auth', id: 'acme-201' },
    ]);
  });

  it('makes random passwords of at least 20 characters from an unambiguous alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const password = generateSipPassword();
      expect(password).toHaveLength(SIP_PASSWORD_LENGTH);
      expect(password.length).toBeGreaterThanOrEqual(20);
      expect(password).toMatch(/^[A-HJ-NP-Za-km-z2-9]+$/);
      seen.add(password);
    }
    expect(seen.size).toBe(200);
  });
});
