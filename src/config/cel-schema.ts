import { z } from 'zod';

// Where an ARI server's Asterisk writes its Channel Event Logging (CEL), read to backfill the windows the
// engine could not see (docs/asterisk-setup.md, "Backfill from CEL"). Exactly one source per server.

/** A table name, optionally schema-qualified: it is put into SQL text, so nothing else is accepted. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

export const celSourceSchema = z
  .object({
    /** cel_custom's output file (`format = json`, one object per line), readable by the engine. */
    jsonl: z.string().min(1).optional(),
    /** cel_pgsql's table in the engine's own PostgreSQL (DATABASE_URL), e.g. `cel` or `asterisk.cel`. */
    table: z.string().regex(TABLE_NAME, 'a table name: letters, digits and _ , optionally schema.table').optional(),
    /** Rows this long before a gap's start and after its end are read too (detection of a drop lags it). */
    marginMs: z.number().int().min(0).max(3_600_000).default(60_000),
    /** At most this many rows of one window are used; a window with more is backfilled from its first rows and says so. */
    maxRows: z.number().int().min(1).max(5_000_000).default(500_000),
  })
  .refine((c) => (c.jsonl === undefined) !== (c.table === undefined), { message: 'give exactly one of jsonl or table' });
export type CelSourceConfig = z.infer<typeof celSourceSchema>;
