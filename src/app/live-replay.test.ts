import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from './live-replay.ts';

const frame = (text: string) => Buffer.from(text);
const texts = (frames: Buffer[] | null) => frames?.map(String) ?? null;

describe('ReplayBuffer', () => {
  it('gives the frames after a seq while all of them are held, oldest first', () => {
    const buffer = new ReplayBuffer({ messages: 3, bytes: 1_000 });
    for (let seq = 1; seq <= 5; seq++) buffer.push(seq, frame(`f${seq}`));
    expect(texts(buffer.after(5, 5))).toEqual([]);
    expect(texts(buffer.after(4, 5))).toEqual(['f5']);
    expect(texts(buffer.after(2, 5))).toEqual(['f3', 'f4', 'f5']);
    // Frame 2 was pushed out by the count bound: a client that saw only 1 cannot be served.
    expect(buffer.after(1, 5)).toBeNull();
    expect(buffer.after(6, 5)).toBeNull();
    expect(buffer.size).toBe(3);
  });

  it('drops the oldest frames to stay within its bytes, and holds nothing bigger than them all', () => {
    const buffer = new ReplayBuffer({ messages: 100, bytes: 10 });
    buffer.push(1, frame('aaaa'));
    buffer.push(2, frame('bbbb'));
    buffer.push(3, frame('cccc'));
    expect(buffer.bytes).toBe(8);
    expect(texts(buffer.after(1, 3))).toEqual(['bbbb', 'cccc']);
    buffer.push(4, frame('x'.repeat(11)));
    expect(buffer.size).toBe(0);
    expect(buffer.after(3, 4)).toBeNull();
  });

  it('starts over when a seq does not follow the last one held, and when the stream moved on without it', () => {
    const buffer = new ReplayBuffer({ messages: 10, bytes: 1_000 });
    buffer.push(1, frame('f1'));
    buffer.push(2, frame('f2'));
    // Changes 3..9 were counted but not kept (nobody listening): what is held no longer reaches the present.
    expect(buffer.after(1, 9)).toBeNull();
    buffer.push(10, frame('f10'));
    expect(texts(buffer.after(9, 10))).toEqual(['f10']);
    expect(buffer.after(2, 10)).toBeNull();
  });

  it('keeps nothing with a bound of 0 messages', () => {
    const buffer = new ReplayBuffer({ messages: 0, bytes: 1_000 });
    buffer.push(1, frame('f1'));
    expect(buffer.after(0, 1)).toBeNull();
    expect(buffer.after(1, 1)).toEqual([]);
  });
});
