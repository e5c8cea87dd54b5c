// Simulated calls through the real pipeline: the engine must reach each template's expected outcome.
import { describe, expect, it } from 'vitest';
import { replayRawEvents } from '../../src/app/replay.ts';
import { renderGeneratedCall } from '../../src/sim/generate-call.ts';
import { createIdCounter } from '../../src/sim/ids.ts';
import { createRng } from '../../src/sim/rng.ts';
import { isTemplateName, loadTemplate, TEMPLATE_NAMES } from '../../src/sim/template-library.ts';
import { generateTraffic } from '../../src/sim/traffic.ts';

const cases = TEMPLATE_NAMES.flatMap((name) => [true, false].map((withChannelvars) => [name, withChannelvars] as const));

/**
 * ari_bridge is f_ari_bridge: its second leg was created with `originator`, so both its Local halves share the
 * call's linkedid from the start. Without channelvars nothing in the events shows that (an engine that made the
 * request notes it); the events are those of a leg created without one, which Asterisk would keep apart but for
 * the half it bridges. So without channelvars the engine finds that half in the call and the other half (the
 * Local `;2` running the dialplan) as a call of its own.
 */
const ORIGINATOR_ONLY = 'ari_bridge';

describe('simulated calls replayed through the pipeline', () => {
  it.each(cases)('%s (channelvars: %s) ends as its template expects', (name, withChannelvars) => {
    const template = loadTemplate(name);
    const call = renderGeneratedCall(template, {
      rng: createRng(2),
      startMs: Date.UTC(2026, 0, 5, 10),
      idCounter: createIdCounter({ uniqueid: 40, local: 0x2a, pjsip: 7 }),
      callerNumber: '+15550001111',
      calledNumber: '500',
      withChannelvars,
      phaseMs: { ring: 4000, talk: 25_000, transferRing: 3000, transferTalk: 12_000 },
    });
    const records = replayRawEvents(call.atMs.map((_, i) => call.text(i)));
    if (name === ORIGINATOR_ONLY && !withChannelvars) {
      expect(records.map((r) => r.legs.length)).toEqual([template.expected.channels - 1, 1]);
      expect(records[1]!.legs[0]!.name).toMatch(/^Local\/.*;2$/);
      records.pop();
    }
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record?.id).toBe(call.callId);
    expect(record?.status).toBe(template.expected.status);
    expect(record?.disposition).toBe(template.expected.disposition);
    expect(record?.answeredAt !== null).toBe(template.expected.answered);
    expect(record?.legs).toHaveLength(template.expected.channels - (name === ORIGINATOR_ONLY && !withChannelvars ? 1 : 0));
  });

  it('groups interleaved traffic without channelvars into the right calls and outcomes', () => {
    const scenarioOf = new Map<string, string>();
    const lines: string[] = [];
    for (const e of generateTraffic({ seed: 21, calls: 200, concurrency: 40, withChannelvars: false })) {
      scenarioOf.set(e.callId, e.scenario);
      lines.push(e.text);
    }
    const all = replayRawEvents(lines);
    const records = all.filter((r) => scenarioOf.has(r.id));
    expect(records).toHaveLength(200);
    // the Local halves of ari_bridge's second legs (see ORIGINATOR_ONLY), one per such call
    const halves = all.filter((r) => !scenarioOf.has(r.id));
    expect(halves.length).toBe(records.filter((r) => scenarioOf.get(r.id) === ORIGINATOR_ONLY).length);
    for (const half of halves) expect(half.legs.map((l) => l.name.replace(/-[0-9a-f]+;2$/, ';2'))).toEqual(['Local/400@from-test;2']);
    for (const record of records) {
      const scenario = scenarioOf.get(record.id) ?? '';
      expect(isTemplateName(scenario)).toBe(true);
      const template = loadTemplate(scenario as (typeof TEMPLATE_NAMES)[number]);
      expect({ id: record.id, disposition: record.disposition, legs: record.legs.length }).toEqual({
        id: record.id,
        disposition: template.expected.disposition,
        legs: template.expected.channels - (scenarioOf.get(record.id) === ORIGINATOR_ONLY ? 1 : 0),
      });
    }
  });
});
