// The committed templates must stay exact derivations of the recorded traces.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatTemplate, templateSources } from '../../src/sim/extract-templates.ts';
import { traceToTemplate } from '../../src/sim/extract/trace-to-template.ts';
import { roundTripMismatches } from '../../src/sim/extract/verify-round-trip.ts';
import { loadTemplate, loadTemplates, TEMPLATE_NAMES } from '../../src/sim/template-library.ts';

const sources = templateSources();

describe('scenario templates', () => {
  it('cover every scenario the simulator offers', () => {
    expect(sources.map((s) => s.scenario.name).sort()).toEqual([...TEMPLATE_NAMES].sort());
  });

  it.each(sources.map((s) => [s.scenario.name, s] as const))('%s rebuilds its recording exactly', (_name, { events, scenario }) => {
    const extracted = traceToTemplate(events, scenario);
    expect(roundTripMismatches(events, scenario, extracted)).toEqual([]);
  });

  it.each(sources.map((s) => [s.scenario.name, s] as const))('%s is committed as extracted now', (name, { events, scenario }) => {
    const committed = readFileSync(new URL(`../../src/sim/templates/${name}.json`, import.meta.url), 'utf8');
    expect(committed).toBe(formatTemplate(traceToTemplate(events, scenario).template));
  });

  it('keep the recorded shape of the Dial() call: 94 events over 4 channels in 2 Local pairs and a bridge', () => {
    const t = loadTemplate('dial_answered');
    expect(t.events).toHaveLength(94);
    expect(t.channels).toHaveLength(4);
    expect(t.localPairs).toBe(2);
    expect(t.bridges).toBe(1);
    expect(t.phases.map((p) => p.name)).toEqual(['ring', 'talk']);
  });

  it('describe the SIP cancel with cause 127 and tech_cause 487', () => {
    const destroyed = loadTemplate('sip_cancelled').events.find((e) => e.event.type === 'ChannelDestroyed');
    expect(destroyed?.event).toMatchObject({ cause: 127, tech_cause: 487 });
  });

  it('give the blind transfer the fields ARI documents and a new answered Local pair', () => {
    const t = loadTemplate('blind_transfer');
    const transfer = t.events.find((e) => e.event.type === 'BridgeBlindTransfer')?.event;
    expect(transfer).toBeDefined();
    expect(Object.keys(transfer ?? {})).toEqual(expect.arrayContaining([
      'channel', 'replace_channel', 'transferee', 'exten', 'context', 'result', 'is_external', 'bridge',
    ]));
    expect(transfer).toMatchObject({ result: 'Success', exten: '{{transfer}}', is_external: false });
    expect(t.channels).toHaveLength(6);
    expect(t.localPairs).toBe(3);
    const upAfterTransfer = t.events.filter((e) => e.event.type === 'ChannelStateChange' &&
      (e.event.channel as { id: string; state: string }).id === '{{ch:5}}' &&
      (e.event.channel as { state: string }).state === 'Up');
    expect(upAfterTransfer).toHaveLength(1);
  });

  it('know their expected outcome', () => {
    const outcomes = Object.fromEntries(loadTemplates().map((t) => [t.name, t.expected.disposition]));
    expect(outcomes).toEqual({
      answered_stasis: 'answered',
      caller_cancelled_stasis: 'cancelled',
      dial_answered: 'answered',
      dial_busy: 'busy',
      dial_noanswer: 'no_answer',
      dtmf: 'answered',
      ari_bridge: 'answered',
      sip_answered: 'answered',
      sip_cancelled: 'cancelled',
      blind_transfer: 'answered',
    });
  });
});
