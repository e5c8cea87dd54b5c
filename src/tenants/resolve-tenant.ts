import { DEFAULT_TENANT, type FoundingChannel } from '../domain/tenant.ts';

// The tenant of a call, from its founding channel and the tenants' rules and numbers (docs/tenants.md, "How a
// call finds its tenant"). Pure: the caller reads the rules wherever they are kept and passes them in.

/** What a rule asks of a call's founding channel; a field left out asks nothing. */
export interface TenantMatch {
  /** The ARI server name, exactly. */
  server?: string;
  /** The dialplan context when the engine first saw the channel, exactly. */
  context?: string;
  /** A glob (`*`, `?`) on the endpoint, tried with and without its technology prefix. */
  endpoint?: string;
  /** The channel's extension is one of the rule tenant's numbers. */
  calledNumber?: boolean;
}

export interface TenantRule {
  tenantId: string;
  match: TenantMatch;
}

export interface TenantRuleSet {
  /** In position order: the first that matches wins. */
  rules: readonly TenantRule[];
  /** Number → the tenant that owns it. */
  numbers: ReadonlyMap<string, string>;
}

export const NO_TENANT_RULES: TenantRuleSet = { rules: [], numbers: new Map() };

/** Longest server, context or endpoint pattern a rule may give (Asterisk's own names are far shorter). */
export const MAX_MATCH_TEXT = 128;

const MATCH_FIELDS: ReadonlySet<string> = new Set(['server', 'context', 'endpoint', 'calledNumber']);
const TEXT_FIELDS = ['server', 'context', 'endpoint'] as const;

/** What is wrong with a rule's match, in words an operator can act on; empty when nothing is. */
export function validateTenantMatch(match: TenantMatch): string[] {
  if (typeof match !== 'object' || match === null || Array.isArray(match)) return ['a rule must be an object of fields to match'];
  const problems: string[] = [];
  for (const key of Object.keys(match)) {
    if (!MATCH_FIELDS.has(key)) problems.push(`unknown field "${key}" (a rule matches on server, context, endpoint and calledNumber)`);
  }
  for (const field of TEXT_FIELDS) {
    const value: unknown = match[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') problems.push(`${field} must be text`);
    else if (value === '') problems.push(`${field} is empty: leave it out to match any ${field}`);
    else if (value.length > MAX_MATCH_TEXT) problems.push(`${field} is ${value.length} characters long, over the ${MAX_MATCH_TEXT} allowed`);
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f]/.test(value)) problems.push(`${field} holds a control character`);
  }
  if (match.calledNumber !== undefined && typeof match.calledNumber !== 'boolean') problems.push('calledNumber must be true or false');
  if (problems.length === 0 && !asksSomething(match)) {
    problems.push('the rule gives nothing to match: it would take every call (give a server, context, endpoint or calledNumber: true)');
  }
  return problems;
}

function asksSomething(match: TenantMatch): boolean {
  return match.server !== undefined || match.context !== undefined || match.endpoint !== undefined || match.calledNumber === true;
}

/** A rule ready to test channels: its endpoint glob compiled once. */
interface CompiledRule {
  tenantId: string;
  server: string | undefined;
  context: string | undefined;
  endpoint: Glob | undefined;
  calledNumber: boolean;
}

/**
 * The rules compiled once, for many channels (TenantDirectory keeps one). A rule validateTenantMatch refuses
 * matches nothing: the API never stores one, and an empty rule taking every call must not happen by accident.
 */
export function compileTenantRules(set: TenantRuleSet): (channel: FoundingChannel) => string {
  const rules: CompiledRule[] = [];
  for (const { tenantId, match } of set.rules) {
    if (validateTenantMatch(match).length > 0) continue;
    rules.push({
      tenantId,
      server: match.server,
      context: match.context,
      endpoint: match.endpoint === undefined ? undefined : compileGlob(match.endpoint),
      calledNumber: match.calledNumber === true,
    });
  }
  const numbers = set.numbers;
  return (channel) => {
    const owner = channel.exten === '' ? undefined : numbers.get(channel.exten);
    for (const rule of rules) {
      if (rule.server !== undefined && rule.server !== channel.server) continue;
      if (rule.context !== undefined && rule.context !== channel.context) continue;
      if (rule.endpoint !== undefined && !endpointMatches(rule.endpoint, channel.endpoint)) continue;
      if (rule.calledNumber && owner !== rule.tenantId) continue;
      return rule.tenantId;
    }
    return owner ?? DEFAULT_TENANT;
  };
}

/** The tenant of a call founded by `channel`. */
export function resolveTenant(set: TenantRuleSet, channel: FoundingChannel): string {
  return compileTenantRules(set)(channel);
}

/** `PJSIP/acme-trunk` is tried as it is and as `acme-trunk`. */
function endpointMatches(glob: Glob, endpoint: string): boolean {
  if (glob(endpoint)) return true;
  const slash = endpoint.indexOf('/');
  return slash >= 0 && glob(endpoint.slice(slash + 1));
}

type Glob = (text: string) => boolean;

/**
 * `*` is any run of characters, `?` any one; everything else means itself. Matched by hand rather than as a
 * regular expression: nothing in an operator's pattern can be read as regex syntax, and a pattern of many
 * stars costs at most pattern × text steps, where a backtracking regex engine could take exponential time.
 */
export function compileGlob(pattern: string): Glob {
  if (pattern.length > MAX_MATCH_TEXT) return () => false;
  // Runs of stars mean what one star means.
  const p = pattern.replace(/\*{2,}/g, '*');
  return (text) => {
    let pi = 0;
    let ti = 0;
    let star = -1;
    let resume = 0;
    while (ti < text.length) {
      const c = p[pi];
      if (c === '?' || (c !== undefined && c !== '*' && c === text[ti])) {
        pi++;
        ti++;
      } else if (c === '*') {
        star = pi++;
        resume = ti;
      } else if (star >= 0) {
        // Let the last star take one more character and try again from there.
        pi = star + 1;
        ti = ++resume;
      } else {
        return false;
      }
    }
    while (p[pi] === '*') pi++;
    return pi === p.length;
  };
}
