import { createReadStream } from 'node:fs';
import { AppError, ERROR_CODES } from '../errors.ts';
import { CEL_LIMITS, parseCelLine, type CelRecord } from './cel-record.ts';
import type { CelRead, CelSource, CelWindow } from './cel-source.ts';

// cel_custom's output (`format = json`): one JSON object per line, appended as events happen. The file is
// read from the start, line by line, keeping the rows of the window; a line over the bound or not a CEL row
// is counted and passed over. Rotated files are not followed: a window older than the current file's start
// finds nothing.

type Line = { text: string } | { tooLong: true };

/**
 * The lines of a text stream, with memory bounded by `maxChars`: a longer line is dropped as it streams in
 * and reported once, as too long. `\r\n` and `\n` both end a line.
 */
export async function* boundedLines(chunks: AsyncIterable<string>, maxChars: number): AsyncGenerator<Line> {
  let buffer = '';
  let skipping = false;
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (skipping || buffer.length + piece.length > maxChars + 1) {
        skipping = false;
        buffer = '';
        yield { tooLong: true };
        continue;
      }
      const line = buffer + piece;
      buffer = '';
      yield { text: line.endsWith('\r') ? line.slice(0, -1) : line };
    }
    if (skipping) continue;
    buffer += chunk.slice(start);
    if (buffer.length > maxChars + 1) {
      skipping = true;
      buffer = '';
    }
  }
  if (skipping) yield { tooLong: true };
  else if (buffer !== '') yield { text: buffer };
}

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
      try {
        for await (const line of boundedLines(stream as AsyncIterable<string>, CEL_LIMITS.lineChars)) {
          lineNo++;
          let row: CelRecord | null;
          try {
            if ('tooLong' in line) throw new AppError(ERROR_CODES.CEL_INPUT_INVALID, `line longer than ${CEL_LIMITS.lineChars} characters`);
            row = parseCelLine(line.text);
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
        stream.destroy();
      }
      return { rows, invalid, truncated };
    },
  };
}
