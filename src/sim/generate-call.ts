// One simulated call: a template filled with fresh ids, numbers and times, as the raw ARI events
// Asterisk would send.
import type { RawEvent } from './ari-json.ts';
import { compileTemplate, type CompiledTemplate } from './compile-template.ts';
import { renderCall, type CallOptions, type RenderedCall } from './render-call.ts';
import type { CallTemplate } from './template-types.ts';

export type { CallOptions } from './render-call.ts';

/** A raw ARI event as JSON.parse returns it. */
export type AriEventJson = RawEvent;

export interface TimedEvent {
  /** Epoch ms at which the event is sent. */
  atMs: number;
  event: AriEventJson;
}

export interface GeneratedCall {
  /** Uniqueid of the call's first channel, which is also every channel's `CHANNEL(linkedid)`. */
  callId: string;
  events: TimedEvent[];
}

const compiledCache = new WeakMap<CallTemplate, { plain?: CompiledTemplate; withVars?: CompiledTemplate }>();

/** The template serialized once per variant and reused for every call. */
export function compiledFor(template: CallTemplate, withChannelvars: boolean): CompiledTemplate {
  let entry = compiledCache.get(template);
  if (!entry) compiledCache.set(template, (entry = {}));
  const key = withChannelvars ? 'withVars' : 'plain';
  return (entry[key] ??= compileTemplate(template, withChannelvars));
}

/** Renders a call lazily: `text(i)` builds event i's JSON text when asked. */
export function renderGeneratedCall(template: CallTemplate, opts: CallOptions): RenderedCall {
  return renderCall(compiledFor(template, opts.withChannelvars), opts);
}

export function generateCall(template: CallTemplate, opts: CallOptions): GeneratedCall {
  const call = renderGeneratedCall(template, opts);
  const events = call.atMs.map((atMs, i) => ({ atMs, event: JSON.parse(call.text(i)) as AriEventJson }));
  return { callId: call.callId, events };
}
