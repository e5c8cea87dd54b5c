import { AppError, ERROR_CODES } from '../errors.ts';
import type { CallFilter } from './types.ts';

// Pure SQL building for call listings: the WHERE clause of a CallFilter and the opaque paging cursor.

export const MAX_PAGE_SIZE = 500;
/** Raw events of one call per page at most (GET /api/calls/:id/events). */
export const MAX_EVENT_PAGE_SIZE = 2_000;

/** Parameters are appended to `params`; placeholders continue from its current length. */
export function callFilterSql(filter: CallFilter, params: unknown[]): string[] {
  const where: string[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.status?.length) where.push(`status = ANY(${param(filter.status)}::text[])`);
  if (filter.disposition?.length) where.push(`disposition = ANY(${param(filter.disposition)}::text[])`);
  if (filter.direction?.length) where.push(`direction = ANY(${param(filter.direction)}::text[])`);
  if (filter.server !== undefined) where.push(`server = ${param(filter.server)}`);
  if (filter.tenantId !== undefined) where.push(`tenant_id = ${param(filter.tenantId)}`);
  if (filter.parties !== undefined) where.push(`(from_number = ANY(${param(filter.parties)}::text[]) OR to_number = ANY(${param(filter.parties)}::text[]))`);
  if (filter.number !== undefined && filter.number !== '') {
    const pattern = param(`${escapeLike(filter.number)}%`);
    where.push(`(from_number LIKE ${pattern} OR to_number LIKE ${pattern})`);
  }
  if (filter.since !== undefined) where.push(`started_at >= ${param(isoInstant(filter.since, 'since'))}::timestamptz`);
  if (filter.until !== undefined) where.push(`started_at < ${param(isoInstant(filter.until, 'until'))}::timestamptz`);
  return where;
}

export function whereClause(conditions: string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

/** LIKE treats `%`, `_` and the escape character `\` specially; a number prefix means them literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

function isoInstant(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new AppError(ERROR_CODES.REQUEST_INVALID, `${field} is not a valid ISO-8601 time`, { details: { field } });
  }
  return new Date(ms).toISOString();
}

export interface CursorPosition {
  startedAt: string;
  id: string;
}

// Kept as the exact text of the record's startedAt (PostgreSQL keeps microseconds, Date does not).
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})$/;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.startedAt, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    typeof decoded[0] !== 'string' ||
    typeof decoded[1] !== 'string' ||
    !ISO_TIMESTAMP.test(decoded[0]) ||
    Number.isNaN(Date.parse(decoded[0]))
  ) {
    throw new AppError(ERROR_CODES.REQUEST_INVALID, 'cursor is not valid', { details: { field: 'cursor' } });
  }
  return { startedAt: decoded[0], id: decoded[1] };
}

export function checkPageSize(limit: number, max = MAX_PAGE_SIZE): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new AppError(ERROR_CODES.REQUEST_INVALID, `limit must be an integer from 1 to ${max}`, {
      details: { field: 'limit' },
    });
  }
}
