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

/**
 * A channel that joins a call after it finished (its linkedid, in channelvars, names the call), then ends: for
 * late-event tests.
 */
export function lateChannel(linkedId: string, type: 'ChannelCreated' | 'ChannelDestroyed'): Record<string, unknown> {
  const channel = {
    id: `${linkedId}9`,
    name: 'PJSIP/late-000000ff',
    state: 'Down',
    caller: { name: '', number: '' },
    connected: { name: '', number: '' },
    dialplan: { context: 'from-test', exten: '100', priority: 1 },
    creationtime: '2026-11-21T04:13:00.000+0000',
    channelvars: { 'CHANNEL(linkedid)': linkedId, 'CHANNEL(uniqueid)': `${linkedId}9` },
  };
  return type === 'ChannelCreated'
    ? { type, timestamp: '2026-11-21T04:13:00.000+0000', channel }
    : { type, timestamp: '2026-11-21T04:13:01.000+0000', channel, cause: 16, cause_txt: 'Normal Clearing' };
}
