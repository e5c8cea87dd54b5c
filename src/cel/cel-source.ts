import type { CelRecord } from './cel-record.ts';

// A server's CEL, read for one window. Two adapters: cel_custom's JSON-lines file (jsonl-source.ts) and
// cel_pgsql's table in the engine's PostgreSQL (table-source.ts).

export interface CelWindow {
  fromMs: number;
  toMs: number;
  /** At most this many rows are returned (the earliest); `truncated` says when more were there. */
  maxRows: number;
}

export interface CelRead {
  rows: CelRecord[];
  /** Rows refused as malformed: counted and reported through onInvalid, the others kept. */
  invalid: number;
  truncated: boolean;
}

export interface CelSource {
  /** What it reads, for logs (a path, a table). */
  readonly description: string;
  /** The rows whose event time is in [fromMs, toMs]. Throws AppError(CEL_UNAVAILABLE) when the source cannot be read. */
  read(window: CelWindow, onInvalid: (where: string, message: string) => void): Promise<CelRead>;
}
