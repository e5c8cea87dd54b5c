// Scenario templates: recorded ARI traffic of one call with every call-specific value replaced by a
// `{{placeholder}}`. src/sim/extract-templates.ts writes them; generate-call.ts fills them in.
//
// Placeholders (always inside JSON strings):
//   {{ch:K}}        uniqueid of the call's K-th channel (K in creation order; K=0 is the linkedid)
//   {{lp:P}}        8-hex-digit suffix of the P-th Local channel pair
//   {{sip:S}}       8-hex-digit suffix of the S-th PJSIP channel;  {{sipcid:S}} its SIP Call-ID
//   {{br:B}}        id of the B-th bridge
//   {{t:MS}}        Asterisk timestamp MS ms after the template's start
//   {{dms:A:B:V}}   a duration in ms: V as recorded, stretched like the time between A and B
//   {{ds:A:B:V}}    the same duration in whole seconds
//   {{caller}} {{callerName}} {{called}} {{transfer}} {{endpoint}} {{linkedid}} {{asteriskId}} {{application}}
import type { Disposition, CallStatus } from '../domain/call.ts';

export interface ExpectedOutcome {
  status: CallStatus;
  disposition: Disposition;
  answered: boolean;
  /** Channels the call creates in total. */
  channels: number;
}

export type TemplateChannel =
  | { index: number; kind: 'local'; pair: number; half: 1 | 2; createdAtMs: number }
  | { index: number; kind: 'pjsip'; sip: number; createdAtMs: number };

/** A stretch of the template's timeline that a caller may lengthen or shorten (ringing, talking). */
export interface TemplatePhase {
  name: string;
  fromMs: number;
  toMs: number;
}

export interface TemplateEvent {
  /** When the event is sent, in ms after the template's start (non-decreasing). */
  atMs: number;
  /** The raw ARI event with placeholders; channel objects carry `channelvars` (dropped when not wanted). */
  event: Record<string, unknown>;
}

export interface TemplateDefaults {
  callerNumber: string;
  callerName: string;
  calledNumber: string;
  transferNumber: string;
  endpoint: string;
  asteriskId: string;
  application: string;
}

export interface CallTemplate {
  name: string;
  description: string;
  /** The recorded trace(s) the template comes from. */
  source: string;
  expected: ExpectedOutcome;
  defaults: TemplateDefaults;
  channels: TemplateChannel[];
  localPairs: number;
  sipChannels: number;
  bridges: number;
  phases: TemplatePhase[];
  events: TemplateEvent[];
}
