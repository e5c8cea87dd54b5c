import { describe, expect, it } from 'vitest';
import type { FoundingChannel } from '../domain/tenant.ts';
import { compileGlob, MAX_MATCH_TEXT, resolveTenant, validateTenantMatch, type TenantMatch, type TenantRuleSet } from './resolve-tenant.ts';

const channel = (over: Partial<FoundingChannel> = {}): FoundingChannel => ({
  server: 'pbx-a',
  context: 'from-acme',
  exten: '+4930111',
  endpoint: 'PJSIP/acme-trunk',
  ...over,
});

const numbers = new Map([
  ['+4930111', 'acme'],
  ['+4930222', 'globex'],
]);

const set = (...rules: [string, TenantMatch][]): TenantRuleSet => ({ rules: rules.map(([tenantId, match]) => ({ tenantId, match })), numbers });

describe('resolveTenant', () => {
  const cases: { name: string; set: TenantRuleSet; channel: FoundingChannel; tenant: string }[] = [
    { name: 'no rules, a number nobody owns', set: { rules: [], numbers: new Map() }, channel: channel(), tenant: 'default' },
    { name: 'no rules, an owned called number', set: set(), channel: channel(), tenant: 'acme' },
    { name: 'no rules, an unowned number', set: set(), channel: channel({ exten: '+4930999' }), tenant: 'default' },
    { name: 'server exactly', set: set(['t1', { server: 'pbx-a' }]), channel: channel({ exten: '' }), tenant: 't1' },
    { name: 'server differs', set: set(['t1', { server: 'pbx-b' }]), channel: channel({ exten: '' }), tenant: 'default' },
    { name: 'server is not a prefix', set: set(['t1', { server: 'pbx' }]), channel: channel({ exten: '' }), tenant: 'default' },
    { name: 'context exactly', set: set(['t1', { context: 'from-acme' }]), channel: channel(), tenant: 't1' },
    { name: 'context is case-sensitive', set: set(['t1', { context: 'From-Acme' }]), channel: channel(), tenant: 'acme' },
    { name: 'endpoint glob with its prefix', set: set(['t1', { endpoint: 'PJSIP/acme-*' }]), channel: channel(), tenant: 't1' },
    { name: 'endpoint glob without the prefix', set: set(['t1', { endpoint: 'acme-*' }]), channel: channel(), tenant: 't1' },
    { name: 'endpoint exactly, without the prefix', set: set(['t1', { endpoint: 'acme-trunk' }]), channel: channel(), tenant: 't1' },
    { name: 'endpoint ? is one character', set: set(['t1', { endpoint: 'acme-trun?' }]), channel: channel(), tenant: 't1' },
    { name: 'endpoint ? is not two', set: set(['t1', { endpoint: 'acme-tru?' }]), channel: channel({ exten: '' }), tenant: 'default' },
    { name: 'endpoint glob anchored at both ends', set: set(['t1', { endpoint: 'acme' }]), channel: channel({ exten: '' }), tenant: 'default' },
    { name: 'endpoint without a prefix', set: set(['t1', { endpoint: 'acme*' }]), channel: channel({ endpoint: 'acme-x', exten: '' }), tenant: 't1' },
    { name: 'a Local endpoint', set: set(['t1', { endpoint: '*@from-acme' }]), channel: channel({ endpoint: 'Local/100@from-acme', exten: '' }), tenant: 't1' },
    { name: 'regex characters mean themselves', set: set(['t1', { endpoint: 'acme.trunk' }]), channel: channel({ exten: '' }), tenant: 'default' },
    { name: 'a literal dot', set: set(['t1', { endpoint: 'a.b+(c)' }]), channel: channel({ endpoint: 'PJSIP/a.b+(c)', exten: '' }), tenant: 't1' },
    { name: 'calledNumber owned by the rule tenant', set: set(['acme', { calledNumber: true }]), channel: channel(), tenant: 'acme' },
    { name: 'calledNumber owned by another tenant', set: set(['globex', { calledNumber: true }]), channel: channel(), tenant: 'acme' },
    { name: 'calledNumber with nothing owned', set: set(['acme', { calledNumber: true }]), channel: channel({ exten: '' }), tenant: 'default' },
    {
      name: 'every given field must match (calledNumber fails: the number goes to its owner)',
      set: set(['t1', { server: 'pbx-a', context: 'from-acme', endpoint: 'acme-*', calledNumber: true }]),
      channel: channel(),
      tenant: 'acme',
    },
    {
      name: 'every given field matches',
      set: set(['acme', { server: 'pbx-a', context: 'from-acme', endpoint: 'acme-*', calledNumber: true }]),
      channel: channel(),
      tenant: 'acme',
    },
    { name: 'the first matching rule wins', set: set(['t1', { context: 'from-acme' }], ['t2', { server: 'pbx-a' }]), channel: channel(), tenant: 't1' },
    { name: 'a rule that does not match is passed', set: set(['t1', { context: 'other' }], ['t2', { server: 'pbx-a' }]), channel: channel(), tenant: 't2' },
    { name: 'rules come before numbers', set: set(['t9', { server: 'pbx-a' }]), channel: channel(), tenant: 't9' },
    { name: 'an empty rule matches nothing', set: set(['t1', {}]), channel: channel({ exten: '' }), tenant: 'default' },
    { name: 'calledNumber false alone is empty', set: set(['t1', { calledNumber: false }]), channel: channel({ exten: '' }), tenant: 'default' },
    { name: 'an empty context matches nothing', set: set(['t1', { context: '' }]), channel: channel({ context: '', exten: '' }), tenant: 'default' },
    { name: 'an over-long pattern matches nothing', set: set(['t1', { endpoint: '*'.repeat(MAX_MATCH_TEXT + 1) }]), channel: channel({ exten: '' }), tenant: 'default' },
  ];
  it.each(cases)('$name → $tenant', ({ set: rules, channel: c, tenant }) => {
    expect(resolveTenant(rules, c)).toBe(tenant);
  });
});

describe('compileGlob', () => {
  const cases: [string, string, boolean][] = [
    ['*', '', true],
    ['*', 'anything', true],
    ['', '', true],
    ['', 'a', false],
    ['a*b', 'ab', true],
    ['a*b', 'axxb', true],
    ['a*b', 'axxbc', false],
    ['a**b', 'a-b', true],
    ['*b*', 'abc', true],
    ['?', '', false],
    ['??', 'ab', true],
    ['a?c*', 'abcdef', true],
    ['^a$', '^a$', true],
    ['[ab]', 'a', false],
    ['a|b', 'a', false],
    ['\\d', '\\d', true],
    ['*a*a*a*a*a*a*a*a*b', 'a'.repeat(4000), false],
  ];
  it.each(cases)('%j on %j → %s', (pattern, text, matches) => {
    expect(compileGlob(pattern)(text)).toBe(matches);
  });
});

describe('validateTenantMatch', () => {
  const cases: { name: string; match: TenantMatch; problems: RegExp[] }[] = [
    { name: 'a context', match: { context: 'from-acme' }, problems: [] },
    { name: 'all fields', match: { server: 'a', context: 'b', endpoint: 'c*', calledNumber: true }, problems: [] },
    { name: 'calledNumber alone', match: { calledNumber: true }, problems: [] },
    { name: 'empty', match: {}, problems: [/nothing to match/] },
    { name: 'calledNumber false alone', match: { calledNumber: false }, problems: [/nothing to match/] },
    { name: 'an empty server', match: { server: '' }, problems: [/server is empty/] },
    { name: 'an over-long endpoint', match: { endpoint: 'x'.repeat(MAX_MATCH_TEXT + 1) }, problems: [/endpoint is 129 characters long/] },
    { name: 'a control character', match: { context: 'a\nb' }, problems: [/control character/] },
    { name: 'not text', match: { context: 5 as unknown as string }, problems: [/context must be text/] },
    { name: 'not a boolean', match: { calledNumber: 'yes' as unknown as boolean }, problems: [/calledNumber must be true or false/] },
    { name: 'an unknown field', match: { exten: '100', context: 'x' } as TenantMatch, problems: [/unknown field "exten"/] },
    { name: 'two problems', match: { server: '', context: 'y'.repeat(200) }, problems: [/server is empty/, /context is 200/] },
  ];
  it.each(cases)('$name', ({ match, problems }) => {
    const found = validateTenantMatch(match);
    expect(found).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(found[i]).toMatch(p));
  });

  it('refuses what is not an object', () => {
    expect(validateTenantMatch(null as unknown as TenantMatch)).toEqual(['a rule must be an object of fields to match']);
  });
});
