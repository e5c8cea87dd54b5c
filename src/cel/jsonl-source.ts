import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { AppError, ERROR_CODES } from '../errors.ts';
import { parseCelLine, type CelRecord } from './cel-record.ts';
import type { CelRead, CelSource, CelWindow } from './cel-source.ts';

// cel_custom's output (`format = json`): one JSON object per line, appended as events happen. The file is
// read from the start, line by line, keeping the rows of the window; a line over the bound or not a CEL row
// is counted and passed over. Rotated files are not followed: a window older than the current file's start
// finds nothing.

export function jsonlCelSource(path: string): CelSource {
  return {
    description: path,
    async read(window: CelWindow, onInvalid): Promise<CelRead> {
      const rows: CelRecord[] = [];
      let invalid = 0;
      let truncated = false;
      let lineNo = 0;
      let stream: ReturnType<typeof createReadStream>;
      try {
        stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 });
        await new Promise<void>((resolve, reject) => {
          stream.once('open', () => resolve());
          stream.once('error', reject);
        });
      } catch (error) {
        throw new AppError(ERROR_CODES.CEL_UNAVAILABLE, `CEL file ${path} cannot be read: ${(error as Error).message}`, { cause: error, retryable: true });
      }
      // crlfDelay: Infinity reads \r\n as one break; a line over CEL_LIMITS.lineChars is refused by parseCelLine.
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      try {
        for await (const line of lines) {
          lineNo++;
          let row: CelRecord | null;
          try {
            row = parseCelLine(line);
          } catch (error) {
            invalid++;
            onInvalid(`${path}:${lineNo}`, (error as Error).message);
            continue;
          }
          if (row === null || row.atMs < window.fromMs || row.atMs > window.toMs) continue;
          if (rows.length >= window.maxRows) {
            truncated = true;
            break;
          }
          rows.push(row);
        }
      } catch (error) {
        throw new AppError(ERROR_CODES.CEL_UNAVAILABLE, `CEL file ${path} could not be read to the end: ${(error as Error).message}`, { cause: error, retryable: true });
      } finally {
        lines.close();
        stream.destroy();
      }
      return { rows, invalid, truncated };
    },
  };
}
