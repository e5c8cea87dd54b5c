import { AppError, ERROR_CODES } from '../errors.ts';
import { textArrayLiteral } from '../store/array-literal.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { guarded } from '../store/store-errors.ts';
import type { TenantNumber, TenantRule, TenantRuleMatch } from './model.ts';
import { iso, invalid, writing } from './repo-support.ts';

// What gives a call to a tenant: the ordered rules and the numbers each tenant owns.

export const MAX_RULES_PER_TENANT = 500;
const MAX_FIELD_LENGTH = 200;
const STRING_FIELDS = ['server', 'context', 'endpoint'] as const;
const NUMBER = /^[^\s\p{Cc}]{1,64}$/u;

interface RuleRow {
  id: number;
  tenant_id: string;
  position: number;
  match: TenantRuleMatch;
}

interface NumberRow {
  number: string;
  tenant_id: string;
  label: string | null;
  created_at: Date;
}

const toRule = (row: RuleRow): TenantRule => ({ id: row.id, tenantId: row.tenant_id, position: row.position, match: row.match });
const toNumber = (row: NumberRow): TenantNumber => ({
  number: row.number,
  tenantId: row.tenant_id,
  label: row.label,
  createdAt: iso(row.created_at),
});

/**
 * A match as stored: only the known fields, each of its type. A match that constrains nothing is refused,
 * since it would take every call for its tenant and leave nothing to the rules after it.
 */
export function normalizeRuleMatch(value: unknown, index: number): TenantRuleMatch {
  const field = `rules[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('a rule is an object', field);
  const input = value as Record<string, unknown>;
  const unknownKey = Object.keys(input).find((key) => key !== 'calledNumber' && !(STRING_FIELDS as readonly string[]).includes(key));
  if (unknownKey !== undefined) throw invalid(`a rule has no field ${JSON.stringify(unknownKey.slice(0, 40))}`, field);
  const match: TenantRuleMatch = {};
  for (const key of STRING_FIELDS) {
    const given = input[key];
    if (given === undefined) continue;
    if (typeof given !== 'string' || given.length === 0 || given.length > MAX_FIELD_LENGTH) {
      throw invalid(`${key} is a text of 1 to ${MAX_FIELD_LENGTH} characters`, `${field}.${key}`);
    }
    match[key] = given;
  }
  if (input.calledNumber !== undefined) {
    if (typeof input.calledNumber !== 'boolean') throw invalid('calledNumber is true or false', `${field}.calledNumber`);
    match.calledNumber = input.calledNumber;
  }
  if (STRING_FIELDS.every((key) => match[key] === undefined) && match.calledNumber !== true) {
    throw invalid('a rule must match on at least one of server, context, endpoint or calledNumber', field);
  }
  return match;
}

/** Every tenant's rules in the order they are tried. */
export async function listRules(db: SqlClient): Promise<TenantRule[]> {
  const rows = await guarded('listRules', () =>
    db.query<RuleRow>('SELECT id, tenant_id, position, match FROM tenant_rules ORDER BY position, id'),
  );
  return rows.map(toRule);
}

/** The tenant's rules become `matches`, at positions 1, 2, ... in the order given; all or nothing. */
export async function replaceRules(db: SqlClient, tenantId: string, matches: readonly unknown[]): Promise<TenantRule[]> {
  if (matches.length > MAX_RULES_PER_TENANT) throw invalid(`a tenant has at most ${MAX_RULES_PER_TENANT} rules`, 'rules');
  const texts = matches.map((match, i) => JSON.stringify(normalizeRuleMatch(match, i)));
  return writing('replaceRules', { missing: { message: `no tenant ${tenantId}`, field: 'tenantId' } }, () =>
    db.transaction(async (tx) => {
      // Locks the tenant row, so two replacements of the same tenant's rules run one after the other.
      const [tenant] = await tx.query('SELECT id FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
      if (!tenant) throw new AppError(ERROR_CODES.NOT_FOUND, `no tenant ${tenantId}`, { details: [{ field: 'tenantId' }] });
      await tx.query('DELETE FROM tenant_rules WHERE tenant_id = $1', [tenantId]);
      const rows = await tx.query<RuleRow>(
        `INSERT INTO tenant_rules (tenant_id, position, match)
         SELECT $1, m.ord::int, m.match FROM unnest($2::jsonb[]) WITH ORDINALITY AS m (match, ord)
         ORDER BY m.ord
         RETURNING id, tenant_id, position, match`,
        [tenantId, textArrayLiteral(texts)],
      );
      return rows.map(toRule).sort((a, b) => a.position - b.position);
    }),
  );
}

export async function listNumbers(db: SqlClient, tenantId?: string): Promise<TenantNumber[]> {
  const rows = await guarded('listNumbers', () =>
    tenantId === undefined
      ? db.query<NumberRow>('SELECT number, tenant_id, label, created_at FROM tenant_numbers ORDER BY tenant_id, number')
      : db.query<NumberRow>('SELECT number, tenant_id, label, created_at FROM tenant_numbers WHERE tenant_id = $1 ORDER BY number', [
          tenantId,
        ]),
  );
  return rows.map(toNumber);
}

/**
 * Gives `number` to the tenant; adding a number the tenant already has only updates its label. A number
 * another tenant owns is a conflict: it has to be removed there first.
 */
export async function addNumber(db: SqlClient, tenantId: string, number: string, label?: string | null): Promise<TenantNumber> {
  const value = number.trim();
  if (!NUMBER.test(value)) throw invalid('a number is 1 to 64 characters without spaces', 'number');
  if (label !== undefined && label !== null && label.length > 200) throw invalid('a label has at most 200 characters', 'label');
  const [row] = await writing('addNumber', { missing: { message: `no tenant ${tenantId}`, field: 'tenantId' } }, () =>
    db.query<NumberRow>(
      `INSERT INTO tenant_numbers (number, tenant_id, label) VALUES ($1, $2, $3)
       ON CONFLICT (number) DO UPDATE SET label = EXCLUDED.label WHERE tenant_numbers.tenant_id = EXCLUDED.tenant_id
       RETURNING number, tenant_id, label, created_at`,
      [value, tenantId, label ?? null],
    ),
  );
  if (!row) throw new AppError(ERROR_CODES.CONFLICT, 'another tenant already owns this number', { details: [{ field: 'number' }] });
  return toNumber(row);
}

export async function removeNumber(db: SqlClient, tenantId: string, number: string): Promise<boolean> {
  const rows = await guarded('removeNumber', () =>
    db.query('DELETE FROM tenant_numbers WHERE tenant_id = $1 AND number = $2 RETURNING number', [tenantId, number.trim()]),
  );
  return rows.length > 0;
}
