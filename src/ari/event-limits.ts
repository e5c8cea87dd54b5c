// Bounds on what one ARI event may carry into the engine (docs/limits.md). Caller names and numbers are
// chosen by whoever places a call, so nothing read from an event is trusted to be small:
// - a whole raw event larger than `eventBytes` is refused (counted, never stored);
// - ids (channel, bridge, linkedid) and the event type must fit, or the event is refused: a clipped id
//   could file one channel's events under another, and a type that long is not ARI's;
// - every other text the domain keeps is clipped to its field's length and counted;
// - integers outside their field's range are dropped (read as absent) and counted.
// The raw text is stored as received (under `eventBytes`); clipping applies to what the engine keeps of
// it, so a call rebuilt from its stored events is clipped the same way.

export const EVENT_LIMITS = {
  /** One raw event, in bytes of UTF-8. */
  eventBytes: 256 * 1024,
  /** The event type, in characters. */
  type: 64,
  /** Channel, bridge and linked ids, in characters (Asterisk's own uniqueids are at most 149). */
  id: 150,
  /** Caller and connected names, channel names. */
  name: 256,
  /** Caller and connected numbers, extensions, dial strings. */
  number: 128,
  /** Dialplan contexts. */
  context: 128,
  /** Variable names. */
  variableName: 128,
  /** Variable values. */
  variableValue: 4_096,
  /** Other short texts: cause texts, states, music classes, transfer targets, recording names, DTMF digits. */
  text: 256,
  /** Stasis arguments kept per event. */
  args: 32,
  /** Largest hangup cause (Q.850 causes are 0-127; Asterisk's own fit in 16 bits). */
  cause: 65_535,
  /** Largest duration in milliseconds (about 24 days: fits the 32-bit columns). */
  durationMs: 2_147_483_647,
} as const;

/** What a clipped or dropped value was: the label of `callflow_event_fields_clipped_total`. */
export const CLIPPED_FIELDS = ['name', 'number', 'context', 'variable', 'text', 'args', 'linkedid', 'cause', 'duration'] as const;
export type ClippedField = (typeof CLIPPED_FIELDS)[number];

/** Counts of values clipped or dropped by the normalizer, per field; read and reset by whoever reports them. */
export class ClipTally {
  private counts = new Map<ClippedField, number>();
  total = 0;

  note(field: ClippedField): void {
    this.counts.set(field, (this.counts.get(field) ?? 0) + 1);
    this.total++;
  }

  /** The counts since the last take, and starts again from zero. */
  take(): ReadonlyMap<ClippedField, number> {
    const out = this.counts;
    this.counts = new Map();
    this.total = 0;
    return out;
  }
}
