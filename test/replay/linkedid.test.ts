import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/app/pipeline.ts';
import { DEFAULT_DIRECTION_RULES, parseReplayLine, replayLines } from '../../src/app/replay.ts';
import { directionPolicy } from '../../src/domain/direction.ts';

// Channels Asterisk moves to another call's linkedid when it bridges them, replayed from real traces and
// compared with Asterisk's own record of the linkedids (CEL, `<scenario>.cel.jsonl`): each channel counts in
// the linkedid it ends with.

const dir = join(import.meta.dirname, '..', 'fixtures', 'ari');
const lines = (file: string): string[] => readFileSync(join(dir, file), 'utf8').split('\n').filter((l) => l.trim() !== '');

/** linkedid → the uniqueids whose last CEL record carries it, sorted. */
function celPartition(name: string): Map<string, string[]> {
  const last = new Map<string, string>();
  for (const line of lines(`${name}.cel.jsonl`)) {
    const rec = JSON.parse(line) as { uniqueid: string; linkedid: string };
    last.set(rec.uniqueid, rec.linkedid);
  }
  const groups = new Map<string, string[]>();
  for (const [uniqueid, linkedid] of last) groups.set(linkedid, [...(groups.get(linkedid) ?? []), uniqueid].sort());
  return groups;
}

function enginePartition(name: string, originators?: ReadonlyMap<string, string>): Map<string, string[]> {
  const { calls, invalid } = replayLines(lines(`${name}.jsonl`), DEFAULT_DIRECTION_RULES, 'default', originators);
  expect(invalid).toEqual([]);
  return new Map(calls.map((c) => [c.id, c.legs.map((l) => l.channelId).sort()]));
}

const sorted = (m: Map<string, string[]>): [string, string[]][] => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

describe('grouping equals the CEL linkedid partition', () => {
  // k_confbridge_two_calls: two calls meet in a ConfBridge, which changes no linkedid. l_attended_transfer: the
  // consult channel Asterisk requests for a DTMF attended transfer has the call's linkedid from the start.
  const scenarios = ['g_external_media', 'i_ari_bridge_no_originator', 'k_confbridge_two_calls', 'l_attended_transfer'];
  for (const scenario of scenarios) {
    for (const name of [scenario, `${scenario}_channelvars`]) {
      it(name, () => {
        const engine = enginePartition(name);
        const cel = celPartition(name);
        expect([...engine.values()].sort()).toEqual([...cel.values()].sort());
        // Ids are Asterisk's linkedids where the channels carry them; without, a call whose first channel moved
        // away is known by its oldest remaining one.
        if (name.endsWith('_channelvars')) expect(sorted(engine)).toEqual(sorted(cel));
        else for (const [id, channels] of engine) expect(id).toBe(cel.has(id) ? id : channels[0]);
      });
    }
  }

  it('the external media channel is a leg of the call it was bridged into, not an extra answered call without a caller', () => {
    for (const name of ['g_external_media', 'g_external_media_channelvars']) {
      const { calls } = replayLines(lines(`${name}.jsonl`));
      expect(calls).toHaveLength(1);
      expect(calls[0]!.from).toBe('5553000');
      expect(calls[0]!.legs.map((l) => l.name.split('/')[0])).toEqual(['Local', 'Local', 'UnicastRTP']);
    }
  });

  it('a leg created with an originator the engine noted shares its linkedid from the start (f_ari_bridge)', () => {
    const originators = new Map<string, string>();
    for (const line of lines('f_ari_bridge.actions.jsonl')) {
      const action = JSON.parse(line) as { path: string; body: { id?: string } | null };
      const originator = new URL(action.path, 'http://x').searchParams.get('originator');
      if (originator && action.body?.id) originators.set(action.body.id, originator);
    }
    expect(originators.size).toBe(1);
    const partition = enginePartition('f_ari_bridge', originators);
    expect(sorted(partition)).toEqual([['1795234290.28', ['1795234290.28', '1795234290.29', '1795234290.30', '1795234290.31']]]);
  });
});

describe('a call merged away by a linkedid change', () => {
  it('is announced as merged once the store holds it, and its later batches carry no record or delivery of it', () => {
    // Drained after every event, as a live engine may: the media channel's own call is written before it is bridged.
    const planned: string[] = [];
    const pipeline = new Pipeline({
      policy: directionPolicy(DEFAULT_DIRECTION_RULES),
      planOutbox: (change) => {
        planned.push(change.current.id);
        return [];
      },
    });
    const merges: { from: string; into: string }[] = [];
    const written = new Set<string>();
    for (const line of lines('g_external_media_channelvars.jsonl')) {
      const parsed = parseReplayLine(line, new Date())!;
      pipeline.ingestObject(parsed.event, parsed.receivedAt, 'default');
      const { batch } = pipeline.drain(0);
      merges.push(...batch.merges);
      for (const call of batch.calls) written.add(call.id);
      if (merges.length > 0) expect(batch.calls.map((c) => c.id)).not.toContain('1796508137.2');
    }
    expect(written).toContain('1796508137.2');
    expect(merges).toEqual([{ from: '1796508137.2', into: '1796508137.0' }]);
    const last = planned.lastIndexOf('1796508137.2');
    expect(planned.slice(last + 1)).not.toContain('1796508137.2');
  });
});

describe('an ARI originate to an endpoint', () => {
  it('has the dialled endpoint as `to`, not the caller id it was given', () => {
    for (const name of ['j_ari_originate_sip', 'j_ari_originate_sip_channelvars']) {
      const { calls } = replayLines(lines(`${name}.jsonl`));
      expect(calls).toHaveLength(1);
      expect(calls[0]!.from).toBe('101');
      expect(calls[0]!.to).toBe('sipp');
      expect(calls[0]!.direction).toBe('internal');
    }
  });
});
