// Proof that a template lost nothing: filled with the recorded call's own ids, numbers and times it
// must give back the recorded events byte for byte (aliases of the caller aside, which the template
// deliberately folds into one caller number and name).
import { compileTemplate } from '../compile-template.ts';
import { renderWithValues } from '../render-call.ts';
import { channelsIn, type RawEvent } from '../ari-json.ts';
import type { ExtractedTemplate, TraceScenario } from './trace-to-template.ts';

function foldAliases(text: string, scenario: TraceScenario, extracted: ExtractedTemplate): string {
  const { callerNumber, callerName } = extracted.template.defaults;
  const folds: Array<[string, string]> = [
    ...(scenario.callerAliases ?? []).map((a): [string, string] => [a, callerNumber]),
    ...(scenario.callerNameAliases ?? []).map((a): [string, string] => [a, callerName]),
  ];
  return folds.reduce((acc, [from, to]) => acc.split(from).join(to), text);
}

/** Descriptions of the events that do not round-trip; empty when the template is exact. */
export function roundTripMismatches(events: RawEvent[], scenario: TraceScenario, extracted: ExtractedTemplate): string[] {
  const withChannelvars = events.some((e) => channelsIn(e).some((ch) => ch.channelvars !== undefined));
  const call = renderWithValues(compileTemplate(extracted.template, withChannelvars), extracted.recorded);
  const problems: string[] = [];
  events.forEach((event, i) => {
    const expected = foldAliases(JSON.stringify(event), scenario, extracted);
    const actual = call.text(i);
    if (actual !== expected) problems.push(`event ${i} (${event.type}):\n  recorded ${expected}\n  rendered ${actual}`);
  });
  return problems;
}
