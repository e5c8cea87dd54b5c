import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { rawText } from '../store/copy-text.ts';
import type { Unwritten } from './ingestor.ts';

// Events a stop could not get into the database, kept on local disk until the next start takes them in.
// One file per stopped run (`<run>.jsonl`): a header line, then one line per event in arrival order with the
// number of the batch it was in. The file is written whole to a temporary name, flushed to disk and then
// renamed, so a file under its final name is always complete. The next start skips the batches the database
// turns out to hold (ingest_marks: a COMMIT under way at the stop may have landed) and ingests the rest with
// their original arrival times, then deletes the file.

const VERSION = 1;
const SUFFIX = '.jsonl';

export interface SpooledEvent {
  batch: number;
  server: string;
  receivedAt: string;
  raw: string;
}

export interface SpoolFile {
  path: string;
  run: string;
}

export class Spool {
  constructor(readonly dir: string) {}

  /** Writes a stopped run's unwritten events; resolves with the file's path once it is on disk. */
  async write(unwritten: Unwritten): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${unwritten.run}${SUFFIX}`);
    const temporary = `${path}.partial`;
    const file = await open(temporary, 'w');
    try {
      await file.write(`${JSON.stringify({ spool: VERSION, run: unwritten.run, createdAt: new Date().toISOString() })}\n`);
      for (const { batch, events } of unwritten.batches) {
        const lines = events.map((e) => JSON.stringify({ batch, server: e.server, receivedAt: e.receivedAt, raw: rawText(e.raw) } satisfies SpooledEvent));
        await file.write(`${lines.join('\n')}\n`);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
    return path;
  }

  /** Complete spool files of earlier runs, oldest first. */
  async files(): Promise<SpoolFile[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const files = await Promise.all(
      names
        .filter((n) => n.endsWith(SUFFIX))
        .map(async (name) => {
          const path = join(this.dir, name);
          return { path, run: name.slice(0, -SUFFIX.length), mtimeMs: (await stat(path)).mtimeMs };
        }),
    );
    return files.sort((a, b) => a.mtimeMs - b.mtimeMs).map(({ path, run }) => ({ path, run }));
  }

  /** The events of a spool file, in order; `onBadLine` hears of each line that cannot be read. */
  async *events(file: SpoolFile, onBadLine: (lineNumber: number) => void): AsyncGenerator<SpooledEvent> {
    const lines = createInterface({ input: createReadStream(file.path, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (n === 1 || line === '') continue;
      const event = parseLine(line);
      if (event === null) onBadLine(n);
      else yield event;
    }
  }

  async remove(file: SpoolFile): Promise<void> {
    await rm(file.path, { force: true });
  }
}

function parseLine(line: string): SpooledEvent | null {
  try {
    const value = JSON.parse(line) as Partial<SpooledEvent>;
    if (typeof value.batch !== 'number' || typeof value.server !== 'string' || typeof value.receivedAt !== 'string' || typeof value.raw !== 'string') return null;
    if (Number.isNaN(Date.parse(value.receivedAt))) return null;
    return value as SpooledEvent;
  } catch {
    return null;
  }
}
