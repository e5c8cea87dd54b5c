import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseReplayLine } from '../app/replay.ts';
import { Pipeline } from '../app/pipeline.ts';
import { loadConfig } from '../config/load.ts';
import type { CallRecord } from '../domain/call.ts';
import { directionPolicy } from '../domain/direction.ts';

// `callflow replay FILE`: the real pipeline with an in-memory store; one call record per output line.

/**
 * Exit status when some lines could not be read (not JSON, not an object, not an ARI event): the records of
 * the other lines are still printed, but a script must not take them for the whole file.
 */
export const EXIT_UNREADABLE_LINES = 2;

export async function replay(file: string, options: { json?: boolean; server: string }): Promise<void> {
  const config = loadConfig({ env: process.env });
  const pipeline = new Pipeline({ policy: directionPolicy(config.direction) });
  const input = file === '-' ? process.stdin : createReadStream(file, 'utf8');
  const lines = createInterface({ input, crlfDelay: Infinity });
  const latest = new Map<string, CallRecord>();
  const fallback = new Date();
  let lineNo = 0;
  let invalid = 0;
  for await (const line of lines) {
    lineNo++;
    try {
      const parsed = parseReplayLine(line, fallback);
      if (!parsed) continue;
      const result = pipeline.ingestObject(parsed.event, parsed.receivedAt, options.server);
      if (!result.ok) throw result.error;
    } catch (error) {
      invalid++;
      process.stderr.write(`line ${lineNo}: ${(error as Error).message}\n`);
      continue;
    }
    if (pipeline.pendingCount >= 512) absorb();
  }
  absorb();
  function absorb(): void {
    const drained = pipeline.drain(0);
    for (const m of drained.live) {
      if (m.type === 'call.merged') latest.delete(m.from);
      else latest.set(m.call.id, m.call);
    }
  }
  for (const call of latest.values()) {
    process.stdout.write(options.json === false ? `${call.id} ${call.status} ${call.disposition ?? '-'} ${call.from} -> ${call.to}\n` : `${JSON.stringify(call)}\n`);
  }
  if (invalid > 0) {
    process.stderr.write(`${invalid} line(s) could not be read\n`);
    // Set, not exit(): stdout may still be flushing the records to a pipe.
    process.exitCode = EXIT_UNREADABLE_LINES;
  }
}

