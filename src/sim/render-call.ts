// Fills a compiled template with one call's values. Events are rendered on demand so a traffic run
// holds a few numbers per call in flight, never the text of whole calls.
import { formatAsteriskTimestamp } from './asterisk-time.ts';
import { createTimeMap, type TimingOptions } from './call-timing.ts';
import { renderEvent, type CompiledTemplate, type SlotSpec, type TextSlot } from './compile-template.ts';
import { hex8, sipCallId, uuidFromRng, type IdCounter } from './ids.ts';
import type { Rng } from './rng.ts';
import type { CallTemplate } from './template-types.ts';

export interface CallOptions extends TimingOptions {
  rng: Rng;
  /** Epoch ms of the template's first event. */
  startMs: number;
  /** Shared by all calls of a run: keeps uniqueids and channel name suffixes unique. */
  idCounter: IdCounter;
  /** Seconds part of the first channel's uniqueid. Default: startMs in whole seconds. */
  epochSeconds?: number;
  callerNumber: string;
  calledNumber: string;
  callerName?: string;
  /** Extension a transfer goes to (templates with a transfer only). */
  transferNumber?: string;
  /** PJSIP endpoint name of SIP channels. */
  endpoint?: string;
  withChannelvars: boolean;
  asteriskId?: string;
  application?: string;
}

/** The concrete values of one call; exposed so tests can rebuild a recorded trace exactly. */
export interface CallValues {
  channelIds: string[];
  localSuffixes: string[];
  sipSuffixes: string[];
  sipCallIds: string[];
  bridgeIds: string[];
  text: Record<TextSlot, string>;
  /** Template ms → epoch ms. */
  toEpochMs: (templateMs: number) => number;
}

export interface RenderedCall {
  callId: string;
  template: CallTemplate;
  channelIds: string[];
  /** Epoch ms at which each event is sent. */
  atMs: number[];
  text(index: number): string;
}

function jsonEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

export function allocateCallValues(template: CallTemplate, opts: CallOptions): CallValues {
  const map = createTimeMap(template.phases, opts);
  const { idCounter, rng, startMs } = opts;
  const epochSeconds = opts.epochSeconds ?? Math.floor(startMs / 1000);
  const msIntoSecond = ((startMs % 1000) + 1000) % 1000;
  const channelIds = template.channels.map((ch) => {
    const seconds = epochSeconds + Math.floor((msIntoSecond + Math.max(0, map(ch.createdAtMs))) / 1000);
    return `${seconds}.${idCounter.uniqueid++}`;
  });
  const localSuffixes = Array.from({ length: template.localPairs }, () => hex8(idCounter.local++));
  const sipNumbers = Array.from({ length: template.sipChannels }, () => idCounter.pjsip++);
  const d = template.defaults;
  return {
    channelIds,
    localSuffixes,
    sipSuffixes: sipNumbers.map(hex8),
    sipCallIds: sipNumbers.map((n) => sipCallId(rng, n)),
    bridgeIds: Array.from({ length: template.bridges }, () => uuidFromRng(rng)),
    text: {
      caller: opts.callerNumber,
      callerName: opts.callerName ?? d.callerName,
      called: opts.calledNumber,
      transfer: opts.transferNumber ?? d.transferNumber,
      endpoint: opts.endpoint ?? d.endpoint,
      linkedid: channelIds[0] ?? '',
      asteriskId: opts.asteriskId ?? d.asteriskId,
      application: opts.application ?? d.application,
    },
    toEpochMs: (t) => startMs + Math.round(map(t)),
  };
}

function indexed(list: readonly string[], index: number, what: string): string {
  const value = list[index];
  if (value === undefined) throw new RangeError(`template refers to ${what} ${index}, which it does not declare`);
  return value;
}

function slotValue(spec: SlotSpec, v: CallValues): string {
  switch (spec.kind) {
    case 'ch':
      return indexed(v.channelIds, spec.index, 'channel');
    case 'lp':
      return indexed(v.localSuffixes, spec.index, 'Local pair');
    case 'sip':
      return indexed(v.sipSuffixes, spec.index, 'PJSIP channel');
    case 'sipcid':
      return indexed(v.sipCallIds, spec.index, 'SIP Call-ID');
    case 'br':
      return indexed(v.bridgeIds, spec.index, 'bridge');
    case 't':
      return formatAsteriskTimestamp(v.toEpochMs(spec.ms));
    case 'dms':
    case 'ds': {
      const stretchedMs = v.toEpochMs(spec.toMs) - v.toEpochMs(spec.fromMs);
      const ms = Math.max(0, spec.recordedMs + stretchedMs - (spec.toMs - spec.fromMs));
      return String(spec.kind === 'dms' ? ms : Math.floor(ms / 1000));
    }
    case 'text':
      return jsonEscape(v.text[spec.name]);
  }
}

export function renderWithValues(compiled: CompiledTemplate, values: CallValues): RenderedCall {
  const slotValues = compiled.slotSpecs.map((spec) => slotValue(spec, values));
  const events = compiled.events;
  let last = -Infinity;
  // Rounding can make two mapped instants swap by a millisecond; sending order must stay the template's.
  const atMs = events.map((e) => (last = Math.max(last, values.toEpochMs(e.atMs))));
  return {
    callId: values.text.linkedid,
    template: compiled.template,
    channelIds: values.channelIds,
    atMs,
    text: (index) => {
      const event = events[index];
      if (!event) throw new RangeError(`event ${index} is out of range`);
      return renderEvent(event, slotValues);
    },
  };
}

export function renderCall(compiled: CompiledTemplate, opts: CallOptions): RenderedCall {
  return renderWithValues(compiled, allocateCallValues(compiled.template, opts));
}
