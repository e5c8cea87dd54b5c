// Turns one recorded call (raw ARI events) into a template: ids, names, numbers and times become
// placeholders, durations Asterisk computed become stretchable values, and every channel object gets
// the `channelvars` an `ari.conf` with `channelvars = CALLFLOW_TAG,CALLFLOW_STATE,CHANNEL(linkedid),
// CHANNEL(uniqueid)` would add (taken from the trace when it was recorded that way).
import type { CallValues } from '../render-call.ts';
import type { CallTemplate, ExpectedOutcome, TemplatePhase } from '../template-types.ts';
import { parseAsteriskTimestamp } from '../asterisk-time.ts';
import { channelOf, eventMs, isChannel, type RawEvent } from '../ari-json.ts';
import { discoverTrace, type TraceFacts } from './trace-facts.ts';

export interface PhaseWindow {
  name: string;
  /** Epoch ms; the phase becomes the longest quiet gap inside the window. */
  fromMs: number;
  toMs: number;
}

export interface TraceScenario {
  name: string;
  description: string;
  source: string;
  expected: ExpectedOutcome;
  /** Other numbers the recorded caller presented (after `Set(CALLERID(num)=...)`). */
  callerAliases?: string[];
  callerNameAliases?: string[];
  transferNumber?: string;
  /** Default: `ring` from first ringing (or StasisStart) to answer/hangup, `talk` from answer to hangup. */
  phases?: PhaseWindow[];
}

export interface ExtractedTemplate {
  template: CallTemplate;
  /** The trace's own values: rendering the template with them gives the trace back. */
  recorded: CallValues;
}

const TRACKED_VARS = ['CALLFLOW_TAG', 'CALLFLOW_STATE'] as const;
const DURATION_VARS = new Set(['ANSWEREDTIME', 'ANSWEREDTIME_MS', 'DIALEDTIME', 'DIALEDTIME_MS']);
const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const LOCAL_RE = /(Local\/[^;,\s"]*?)-([0-9a-f]{8})(;[12])/g;
const PJSIP_RE = /PJSIP\/([^-\s;,"/]+)(-[0-9a-f]{8})?/g;

/** Within [fromMs, toMs], the longest stretch without any event: where a phase's waiting happens. */
export function longestQuietGap(eventTimesMs: readonly number[], fromMs: number, toMs: number): [number, number] | null {
  const inside = [...new Set(eventTimesMs.filter((t) => t >= fromMs && t <= toMs))].sort((a, b) => a - b);
  let best: [number, number] | null = null;
  for (let i = 1; i < inside.length; i++) {
    const a = inside[i - 1] as number;
    const b = inside[i] as number;
    if (!best || b - a > best[1] - best[0]) best = [a, b];
  }
  return best && best[1] > best[0] ? best : null;
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Applies `fn` to the text between placeholders only: placeholders hold digits a number rule could hit. */
function outsidePlaceholders(text: string, fn: (plain: string) => string): string {
  return text.split(/(\{\{[^}]*\}\})/).map((part, i) => (i % 2 === 0 ? fn(part) : part)).join('');
}

function defaultPhases(events: RawEvent[]): PhaseWindow[] {
  const times = events.map(eventMs);
  const find = (pred: (e: RawEvent) => boolean, from = 0): number =>
    events.findIndex((e, i) => i >= from && pred(e));
  const stateIs = (state: string) => (e: RawEvent) => e.type === 'ChannelStateChange' && channelOf(e)?.state === state;
  const isHangup = (e: RawEvent) => e.type === 'ChannelHangupRequest';
  const windows: PhaseWindow[] = [];
  const ringIdx = find((e) => stateIs('Ringing')(e) || e.type === 'StasisStart');
  const upIdx = find(stateIs('Up'));
  const hangIdx = find(isHangup);
  if (ringIdx >= 0) {
    const ends = [upIdx, hangIdx].filter((i) => i >= 0).map((i) => times[i] as number);
    if (ends.length > 0) windows.push({ name: 'ring', fromMs: times[ringIdx] as number, toMs: Math.min(...ends) });
  }
  const talkEndIdx = upIdx >= 0 ? find(isHangup, upIdx) : -1;
  if (talkEndIdx >= 0) {
    windows.push({ name: 'talk', fromMs: times[upIdx] as number, toMs: times[talkEndIdx] as number });
  }
  return windows;
}

/** ANSWEREDTIME / DIALEDTIME: recorded ms plus how far the generated call stretched the span they measure. */
function durationPlaceholder(events: RawEvent[], index: number, t0: number): string | null {
  const event = events[index] as RawEvent;
  const variable = String(event.variable);
  const channelId = channelOf(event)?.id;
  if (!DURATION_VARS.has(variable) || !channelId || !/^\d+$/.test(String(event.value))) return null;
  const before = events.slice(0, index).reverse();
  const start = variable.startsWith('DIALED')
    ? before.find((e) => e.type === 'ChannelDialplan' && e.dialplan_app === 'Dial' && channelOf(e)?.id === channelId)
    : before.find((e) => e.type === 'Dial' && e.dialstatus === 'ANSWER' && isChannel(e.caller) && e.caller.id === channelId);
  if (!start) return null;
  const kind = variable.endsWith('_MS') ? 'dms' : 'ds';
  // The whole-seconds variable is set next to its _MS twin; the twin carries the precise value.
  const twin = events.find((e) => e.type === 'ChannelVarset' && e.variable === `${variable}_MS` &&
    channelOf(e)?.id === channelId && /^\d+$/.test(String(e.value)) && Math.abs(eventMs(e) - eventMs(event)) < 1000);
  const recordedMs = kind === 'dms' ? Number(event.value) : Number(twin?.value ?? Number(event.value) * 1000);
  if (kind === 'ds' && Math.floor(recordedMs / 1000) !== Number(event.value)) return null;
  return `{{${kind}:${eventMs(start) - t0}:${eventMs(event) - t0}:${recordedMs}}}`;
}

export function traceToTemplate(events: RawEvent[], scenario: TraceScenario): ExtractedTemplate {
  const facts: TraceFacts = discoverTrace(events);
  const { t0, channelIds } = facts;
  const linkedId = channelIds[0] as string;
  const numberLiterals: Array<[string, string]> = [
    ...[facts.callerNumber, ...(scenario.callerAliases ?? [])].map((n): [string, string] => [n, '{{caller}}']),
    [facts.calledNumber, '{{called}}'],
  ];
  if (scenario.transferNumber) numberLiterals.push([scenario.transferNumber, '{{transfer}}']);
  const numberRules = numberLiterals
    .filter(([literal]) => literal !== '')
    .sort((a, b) => b[0].length - a[0].length)
    .map(([literal, slot]): [RegExp, string] => [new RegExp(`(?<![\\w.])${escapeRe(literal)}(?![\\w])`, 'g'), slot]);
  const appRule: [RegExp, string] = [new RegExp(`(?<![\\w])${escapeRe(facts.application)}(?![\\w])`, 'g'), '{{application}}'];
  const names = [facts.callerName, ...(scenario.callerNameAliases ?? [])].filter((n) => n !== '');
  const nameRules = names.map((n): [RegExp, string] => [new RegExp(`(?<![\\w])${escapeRe(n)}(?![\\w])`, 'g'), '{{callerName}}']);

  const replaceString = (s: string, key: string, parentKey: string): string => {
    if (key === 'CHANNEL(linkedid)') {
      if (s !== linkedId) throw new RangeError(`${scenario.name}: linkedid ${s} is not the first channel ${linkedId}`);
      return '{{linkedid}}';
    }
    if (key === 'asterisk_id' && parentKey === '') return '{{asteriskId}}';
    const ch = channelIds.indexOf(s);
    if (ch >= 0) return `{{ch:${ch}}}`;
    const ms = parseAsteriskTimestamp(s);
    if (ms !== null) return `{{t:${ms - t0}}}`;
    if (key === 'protocol_id' && s !== '') return `{{sipcid:${facts.sipCallIds.indexOf(s)}}}`;
    if ((parentKey === 'caller' || parentKey === 'connected') && key === 'name' && names.includes(s)) {
      return '{{callerName}}';
    }
    let out = s
      .replace(UUID_RE, (id) => `{{br:${facts.bridgeIds.indexOf(id)}}}`)
      .replace(LOCAL_RE, (_m, head: string, hex: string, half: string) => `${head}-{{lp:${facts.localSuffixes.indexOf(hex)}}}${half}`)
      .replace(PJSIP_RE, (_m, _ep: string, suffix?: string) =>
        suffix ? `PJSIP/{{endpoint}}-{{sip:${facts.sipSuffixes.indexOf(suffix.slice(1))}}}` : 'PJSIP/{{endpoint}}');
    out = outsidePlaceholders(out, (plain) => [...numberRules, appRule].reduce((acc, [re, slot]) => acc.replace(re, slot), plain));
    return outsidePlaceholders(out, (plain) => nameRules.reduce((acc, [re, slot]) => acc.replace(re, slot), plain));
  };

  const tracked = new Map<string, Record<(typeof TRACKED_VARS)[number], string>>();
  const varsOf = (id: string) => {
    let vars = tracked.get(id);
    if (!vars) tracked.set(id, (vars = { CALLFLOW_TAG: '', CALLFLOW_STATE: '' }));
    return vars;
  };
  const transform = (value: unknown, key: string, parentKey: string): unknown => {
    if (typeof value === 'string') return replaceString(value, key, parentKey);
    if (Array.isArray(value)) return value.map((v) => transform(v, key, parentKey));
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = transform(v, k, key);
    if (isChannel(value)) {
      const vars = varsOf(value.id);
      const synthesized = { ...vars, 'CHANNEL(linkedid)': linkedId, 'CHANNEL(uniqueid)': value.id };
      if (value.channelvars && JSON.stringify(value.channelvars) !== JSON.stringify(synthesized)) {
        throw new RangeError(`${scenario.name}: recorded channelvars ${JSON.stringify(value.channelvars)} differ from tracked ones`);
      }
      if (!value.channelvars) out.channelvars = transform(synthesized, 'channelvars', key);
    }
    return out;
  };

  const templateEvents = events.map((event, index) => {
    const channel = channelOf(event);
    const variable = String(event.variable);
    if (event.type === 'ChannelVarset' && channel && (TRACKED_VARS as readonly string[]).includes(variable)) {
      varsOf(channel.id)[variable as (typeof TRACKED_VARS)[number]] = String(event.value);
    }
    const out = transform(event, '', '') as Record<string, unknown>;
    if (event.type === 'ChannelVarset') {
      const duration = durationPlaceholder(events, index, t0);
      if (duration) out.value = duration;
    }
    return out;
  });

  const times = events.map(eventMs);
  const phases: TemplatePhase[] = [];
  for (const w of scenario.phases ?? defaultPhases(events)) {
    const gap = longestQuietGap(times, w.fromMs, w.toMs);
    if (gap) phases.push({ name: w.name, fromMs: gap[0] - t0, toMs: gap[1] - t0 });
  }
  let last = 0;
  const template: CallTemplate = {
    name: scenario.name,
    description: scenario.description,
    source: scenario.source,
    expected: scenario.expected,
    defaults: {
      callerNumber: facts.callerNumber,
      callerName: facts.callerName,
      calledNumber: facts.calledNumber,
      transferNumber: scenario.transferNumber ?? '',
      endpoint: facts.endpoint,
      asteriskId: facts.asteriskId,
      application: facts.application,
    },
    channels: facts.channels,
    localPairs: facts.localSuffixes.length,
    sipChannels: facts.sipSuffixes.length,
    bridges: facts.bridgeIds.length,
    phases,
    events: templateEvents.map((event, i) => ({ atMs: (last = Math.max(last, (times[i] as number) - t0)), event })),
  };
  const recorded: CallValues = {
    channelIds,
    localSuffixes: facts.localSuffixes,
    sipSuffixes: facts.sipSuffixes,
    sipCallIds: facts.sipCallIds,
    bridgeIds: facts.bridgeIds,
    text: {
      caller: facts.callerNumber,
      callerName: facts.callerName,
      called: facts.calledNumber,
      transfer: scenario.transferNumber ?? '',
      endpoint: facts.endpoint,
      linkedid: linkedId,
      asteriskId: facts.asteriskId,
      application: facts.application,
    },
    toEpochMs: (t) => t0 + t,
  };
  return { template, recorded };
}
