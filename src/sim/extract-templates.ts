// Derives the simulator's scenario templates from the recorded traces and writes them to
// src/sim/templates/. Run after the fixtures change:  npx tsx src/sim/extract-templates.ts
// Every template is checked to reproduce its recording exactly before it is written.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { synthesizeBlindTransfer, TRANSFER_NUMBER } from './extract/blind-transfer.ts';
import { RECORDED_SCENARIOS } from './extract/scenarios.ts';
import { traceToTemplate, type TraceScenario } from './extract/trace-to-template.ts';
import type { RawEvent } from './ari-json.ts';
import { roundTripMismatches } from './extract/verify-round-trip.ts';
import type { CallTemplate } from './template-types.ts';

const FIXTURES = new URL('../../test/fixtures/ari/', import.meta.url);
const OUT = new URL('./templates/', import.meta.url);
const DIAL_ANSWERED_FILE = 'c_dial_answered_channelvars.jsonl';

export function readTrace(file: string, dir: URL = FIXTURES): RawEvent[] {
  return readFileSync(new URL(file, dir), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { event: RawEvent }).event);
}

export interface TemplateSource {
  events: RawEvent[];
  scenario: TraceScenario;
}

/** Every template's source events and scenario: the recordings plus the synthesized blind transfer. */
export function templateSources(dir: URL = FIXTURES): TemplateSource[] {
  const sources = RECORDED_SCENARIOS.map(({ file, scenario }) => ({
    events: readTrace(file, dir),
    scenario: { ...scenario, source: file },
  }));
  const dialAnswered = RECORDED_SCENARIOS.find((s) => s.file === DIAL_ANSWERED_FILE);
  const transfer = synthesizeBlindTransfer(readTrace(DIAL_ANSWERED_FILE, dir));
  sources.push({
    events: transfer.events,
    scenario: {
      name: 'blind_transfer',
      description:
        'Dialplan Dial() answered; the callee blind-transfers the caller to another extension, which rings, answers, talks and hangs up (6 channels).',
      source: `${DIAL_ANSWERED_FILE} + synthesized BridgeBlindTransfer`,
      expected: { status: 'finished', disposition: 'answered', answered: true, channels: 6 },
      callerAliases: dialAnswered?.scenario.callerAliases ?? [],
      callerNameAliases: dialAnswered?.scenario.callerNameAliases ?? [],
      transferNumber: TRANSFER_NUMBER,
      phases: transfer.phases,
    },
  });
  return sources;
}

/** Readable and diff-friendly: header fields indented, one event per line. */
export function formatTemplate(template: CallTemplate): string {
  const { events, ...head } = template;
  const headText = JSON.stringify(head, null, 2);
  const lines = events.map((e) => `    ${JSON.stringify(e)}`).join(',\n');
  return `${headText.slice(0, -2)},\n  "events": [\n${lines}\n  ]\n}\n`;
}

function main(): void {
  let failed = false;
  for (const { events, scenario } of templateSources()) {
    const extracted = traceToTemplate(events, scenario);
    const problems = roundTripMismatches(events, scenario, extracted);
    if (problems.length > 0) {
      failed = true;
      process.stderr.write(`${scenario.name}: ${problems.length} events do not round-trip\n${problems.slice(0, 3).join('\n')}\n`);
      continue;
    }
    const file = new URL(`${scenario.name}.json`, OUT);
    writeFileSync(file, formatTemplate(extracted.template));
    process.stdout.write(`${scenario.name}: ${events.length} events, ${extracted.template.channels.length} channels -> ${fileURLToPath(file)}\n`);
  }
  if (failed) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
