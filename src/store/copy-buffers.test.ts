import { describe, expect, it } from 'vitest';
import { returnCopyBuffer, spareCopyBytes, takeCopyBuffer } from './copy-buffers.ts';

describe('copy buffers', () => {
  it('reuses a returned buffer for a request it fits, keeps at most two, the largest, and never one twice', () => {
    const a = takeCopyBuffer(100_000);
    // Room for a slightly larger request next time.
    expect(a.buffer.byteLength).toBe(125_000);
    returnCopyBuffer(a.buffer as ArrayBuffer);
    returnCopyBuffer(a.buffer as ArrayBuffer);
    expect(spareCopyBytes()).toBe(125_000);

    const again = takeCopyBuffer(110_000);
    expect(again.buffer).toBe(a.buffer);
    expect(spareCopyBytes()).toBe(0);
    // Too small for the request: a new buffer is allocated, the spare one stays.
    returnCopyBuffer(again.buffer as ArrayBuffer);
    expect(takeCopyBuffer(200_000).buffer).not.toBe(a.buffer);
    expect(spareCopyBytes()).toBe(125_000);

    for (const size of [300_000, 400_000]) returnCopyBuffer(new ArrayBuffer(size));
    expect(spareCopyBytes()).toBe(700_000); // the two largest; the 125,000-byte one was dropped
    while (spareCopyBytes() > 0) takeCopyBuffer(1);
  });

  it('ignores a buffer that was transferred away (it reads as empty)', () => {
    const buffer = new ArrayBuffer(1_000);
    structuredClone(buffer, { transfer: [buffer] });
    returnCopyBuffer(buffer);
    expect(spareCopyBytes()).toBe(0);
  });
});
