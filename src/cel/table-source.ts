import { AppError, ERROR_CODES } from '../errors.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { celRecordOf, type CelRecord } from './cel-record.ts';
import type { CelRead, CelSource, CelWindow } from './cel-source.ts';

// cel_pgsql's table (docs/asterisk-setup.md has its CREATE TABLE) in the engine's own PostgreSQL. Its
// `eventtime` is a timestamp without zone: cel_pgsql.conf must say `usegmtime = yes`, so it holds UTC.

/** `table` is checked by the config schema (letters, digits, _, one optional dot): safe in SQL text. */
export function tableCelSource(sql: SqlClient, table: string): CelSource {
  const quoted = table.split('.').map((part) => `"${part}"`).join('.');
  return {
    description: `table ${table}`,
    async read(window: CelWindow, onInvalid): Promise<CelRead> {
      let found: Record<string, unknown>[];
      try {
        // Times are passed as UTC text without zone, compared with the zoneless column as they are.
        found = await sql.query(
          `SELECT eventtype, to_char(eventtime, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS eventtime, cid_name, cid_num, exten, context, channame,
                  appname, appdata, uniqueid, linkedid, peer, extra
             FROM ${quoted}
            WHERE eventtime >= $1::timestamp AND eventtime <= $2::timestamp
            ORDER BY eventtime
            LIMIT $3`,
          [zoneless(window.fromMs), zoneless(window.toMs), window.maxRows + 1],
        );
      } catch (error) {
        throw new AppError(ERROR_CODES.CEL_UNAVAILABLE, `CEL table ${table} cannot be read: ${(error as Error).message}`, { cause: error, retryable: true });
      }
      const truncated = found.length > window.maxRows;
      const rows: CelRecord[] = [];
      let invalid = 0;
      found.slice(0, window.maxRows).forEach((raw, i) => {
        try {
          rows.push(celRecordOf(raw));
        } catch (error) {
          invalid++;
          onInvalid(`${table} row ${i + 1} of the window`, (error as Error).message);
        }
      });
      return { rows, invalid, truncated };
    },
  };
}

/** The latest time PostgreSQL and a Date both hold as text: a window's open end is clamped to it. */
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function zoneless(ms: number): string {
  return new Date(Math.min(Math.max(ms, 0), LATEST_MS)).toISOString().replace('Z', '');
}
