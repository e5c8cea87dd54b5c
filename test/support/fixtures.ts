import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The recorded ARI traces copied into the project (test/fixtures/ari).

export const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'ari');

/** Raw ARI events of a trace, in arrival order. */
export function traceEvents(name: string): Record<string, unknown>[] {
  return readFileSync(join(FIXTURE_DIR, `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { event: Record<string, unknown> }).event);
}
