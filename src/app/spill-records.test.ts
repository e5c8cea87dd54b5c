import { describe, expect, it } from 'vitest';
import { SpillRecordReader, SpillRecordWriter } from './spill-records.ts';

// The writer reuses one head buffer per server, so each record must be copied before the next is made (the
// spill log does); the reader caches the last server name it decoded.
const asPayload = (parts: Uint8Array[]) => Buffer.concat(parts);

describe('spill records', () => {
  it('reads back events and resync views of interleaved servers, each with its own server and time', () => {
    const writer = new SpillRecordWriter();
    const payloads = [
      asPayload(writer.event('pbx-a', 1_000, '{"type":"ChannelCreated"}')),
      asPayload(writer.event('pbx-b', 2_000, Buffer.from('{"type":"Dial"}'))),
      asPayload(writer.event('pbx-a', 3_000, '{"type":"ChannelDestroyed"}')),
      asPayload(writer.resync('pbx-b', 4_000, { channels: [], bridges: [] })),
      asPayload(writer.event('pbx-ä', 5_000, '{}')),
    ];
    const reader = new SpillRecordReader();
    const back = payloads.map((p) => reader.read(p));
    expect(back.map((r) => [r?.kind, r?.server])).toEqual([
      ['event', 'pbx-a'],
      ['event', 'pbx-b'],
      ['event', 'pbx-a'],
      ['resync', 'pbx-b'],
      ['event', 'pbx-ä'],
    ]);
    expect(back[0]).toMatchObject({ receivedAtMs: 1_000 });
    expect(back[1]?.kind === 'event' && back[1].raw.toString()).toBe('{"type":"Dial"}');
    expect(back[2]?.kind === 'event' && back[2].raw.toString()).toBe('{"type":"ChannelDestroyed"}');
    expect(back[3]).toMatchObject({ takenAtMs: 4_000, view: { channels: [], bridges: [] } });
  });

  it('refuses a record too short for its head, of an unknown kind, or with a broken resync view', () => {
    const reader = new SpillRecordReader();
    const writer = new SpillRecordWriter();
    expect(reader.read(Buffer.alloc(5))).toBeNull();
    const unknown = asPayload(writer.event('pbx', 1, '{}'));
    unknown.writeUInt8(9, 0);
    expect(reader.read(unknown)).toBeNull();
    const resync = asPayload(writer.resync('pbx', 1, { channels: [], bridges: [] }));
    expect(reader.read(resync.subarray(0, resync.length - 1))).toBeNull();
  });
});
