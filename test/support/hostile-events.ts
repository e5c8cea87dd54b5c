import { traceEvents } from './fixtures.ts';

// Hostile ARI events for fuzz tests, generated from a seed so a failure can be run again: long and odd
// strings where caller names and numbers go, huge and wrong-typed numbers, deep nesting, invalid Unicode,
// oversized frames, thousands of invented event types; and copies of the recorded traces with their ids
// moved apart, as the valid traffic around them.

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_TEXTS = [
  '\u0000',
  '\ud800',
  '\udfff',
  'a\u0000b',
  '\u202e\u0644\u0627',
  '\u{1F4DE}'.repeat(100),
  '%s%n%x',
  "'; DROP TABLE calls; --",
  '<script>alert(1)</script>',
  '\\',
  '"',
  '\r\n\t',
  '{"type":"StasisStart"}',
  'x'.repeat(70_000),
];

const ODD_NUMBERS: unknown[] = [1e308, -1e308, -1, 2 ** 31, 2 ** 63, 2 ** 53 + 1, 0.5, '1e400', 'NaN', 'Infinity', '', null, true, [], {}];

/** One hostile event (a JSON text, or a text that is not JSON at all). */
export function hostileEvent(random: () => number, n: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const text = () => (random() < 0.3 ? pick(ODD_TEXTS) : 'y'.repeat(Math.floor(random() * 5_000)));
  const id = `h${n}.${Math.floor(random() * 1e6)}`;
  const channel = () => ({
    id: random() < 0.1 ? 'i'.repeat(200 + Math.floor(random() * 5_000)) : id,
    name: text(),
    state: random() < 0.5 ? 'Ring' : text(),
    caller: { name: text(), number: text() },
    connected: { name: text(), number: text() },
    dialplan: { context: text(), exten: text(), priority: pick(ODD_NUMBERS) },
    creationtime: random() < 0.8 ? '2026-11-21T04:10:47.359+0000' : pick(['', 'yesterday', '9999-99-99T99:99:99.999+9999', 5]),
    channelvars: random() < 0.5 ? { 'CHANNEL(linkedid)': random() < 0.5 ? id : text() } : pick(ODD_NUMBERS),
  });
  switch (Math.floor(random() * 10)) {
    case 0:
      return JSON.stringify({ type: `Invented${n}`, timestamp: '2026-11-21T04:10:47.359+0000', payload: text() });
    case 1:
      return JSON.stringify({ type: 'ChannelDestroyed', timestamp: '2026-11-21T04:10:48.000+0000', channel: channel(), cause: pick(ODD_NUMBERS), tech_cause: pick(ODD_NUMBERS), cause_txt: text() });
    case 2: {
      let nested: unknown = { type: 'Deep' };
      for (let i = 0; i < 500; i++) nested = { type: 'ChannelVarset', channel: nested };
      return JSON.stringify(nested);
    }
    case 3:
      return JSON.stringify({ type: pick(['ChannelCreated', 'StasisStart', 'Dial', 'ChannelDtmfReceived']), timestamp: pick(['2026-11-21T04:10:47.359+0000', 'soon', 12]), channel: pick([channel(), 5, 'x', [], null]), peer: channel(), digit: text(), duration_ms: pick(ODD_NUMBERS), args: Array.from({ length: Math.floor(random() * 100) }, text) });
    case 4:
      return `{"type":"ChannelVarset","channel":${JSON.stringify(channel())},"variable":${JSON.stringify(text())},"value":${JSON.stringify('v'.repeat(10_000))}}`;
    case 5:
      return pick(['not json', '[]', '"text"', '12', 'null', '{', '{"type":', '{"type":null}', '{"type":""}', `{"type":"${'T'.repeat(100)}"}`]);
    case 6:
      // Larger than a whole event may be.
      return JSON.stringify({ type: 'ChannelCallerId', channel: { ...channel(), caller: { name: 'n'.repeat(300_000), number: '1' } } });
    case 7:
      return JSON.stringify({ type: 'ChannelEnteredBridge', timestamp: '2026-11-21T04:10:47.359+0000', channel: channel(), bridge: { id: pick([id, 'b'.repeat(10_000), 7, null]), bridge_type: text() } });
    case 8:
      return JSON.stringify({ type: 'ChannelStateChange', timestamp: '2026-11-21T04:10:47.359+0000', channel: channel() });
    default:
      return JSON.stringify({ type: 'ChannelHangupRequest', timestamp: '2026-11-21T04:10:47.359+0000', channel: channel(), cause: pick(ODD_NUMBERS), soft: pick(ODD_NUMBERS) });
  }
}

/** A recorded trace with every uniqueid moved `offsetSeconds` later, so copies never share a channel. */
export function shiftedTrace(name: string, offsetSeconds: number): Record<string, unknown>[] {
  const text = JSON.stringify(traceEvents(name));
  const shifted = text.replace(/(?<=[":])(\d{10})\.(\d+)(?=[";])/g, (_m, seconds: string, seq: string) => `${Number(seconds) + offsetSeconds}.${seq}`);
  return JSON.parse(shifted) as Record<string, unknown>[];
}
