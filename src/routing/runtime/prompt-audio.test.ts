import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PromptAudio } from './prompt-audio.ts';
import { OfflineSpeech, type Speech } from './speech.ts';

// Prompts given as text are spoken by the offline Flite voice and kept as WAV files Asterisk can play.

const speech = new OfflineSpeech();
const dir = mkdtempSync(join(tmpdir(), 'callflow-prompts-'));
afterAll(async () => {
  await speech.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The format fields of a RIFF WAVE header. */
function wavFormat(wav: Buffer): { channels: number; rate: number; bits: number; dataBytes: number } {
  expect(wav.subarray(0, 4).toString('ascii')).toBe('RIFF');
  expect(wav.subarray(8, 12).toString('ascii')).toBe('WAVE');
  return { channels: wav.readUInt16LE(22), rate: wav.readUInt32LE(24), bits: wav.readUInt16LE(34), dataBytes: wav.length - 44 };
}

describe('offline speech', () => {
  it('speaks a sentence as 8 kHz 16-bit mono WAV, about as long as it takes to say', async () => {
    const wav = await speech.synthesize('Thank you for calling. Press one for sales.');
    const format = wavFormat(wav);
    expect(format).toMatchObject({ channels: 1, rate: 8_000, bits: 16 });
    const seconds = format.dataBytes / (2 * 8_000);
    expect(seconds).toBeGreaterThan(1.5);
    expect(seconds).toBeLessThan(8);
  });

  it('refuses empty, oversized and odd-voiced requests with CF_SPEECH_FAILED', async () => {
    await expect(speech.synthesize('   ')).rejects.toMatchObject({ code: 'CF_SPEECH_FAILED' });
    await expect(speech.synthesize('a'.repeat(1_001))).rejects.toMatchObject({ code: 'CF_SPEECH_FAILED' });
    await expect(speech.synthesize('hello', '../../etc')).rejects.toMatchObject({ code: 'CF_SPEECH_FAILED' });
  });
});

describe('prompt audio', () => {
  let spoken = 0;
  const counting: Speech = {
    synthesize: (text, voice) => {
      spoken++;
      return speech.synthesize(text, voice);
    },
    close: async () => undefined,
  };
  const audio = new PromptAudio({ dir, secret: Buffer.alloc(32, 7), speech: counting, mediaBaseUrl: () => 'http://127.0.0.1:3000/' });

  it('makes a prompt once, names it by a keyed hash and gives Asterisk an http media URI', async () => {
    const [a, b] = await Promise.all([audio.mediaOf({ kind: 'text', text: 'Welcome to Acme.' }), audio.mediaOf({ kind: 'text', text: 'Welcome to Acme.' })]);
    expect(a).toBe(b);
    expect(a).toMatch(/^sound:http:\/\/127\.0\.0\.1:3000\/media\/prompts\/[0-9a-f]{40}\.wav$/);
    expect(await audio.mediaOf({ kind: 'text', text: 'Welcome to Acme.' })).toBe(a);
    expect(spoken).toBe(1);
    const key = /([0-9a-f]{40})\.wav$/.exec(a)![1]!;
    expect(wavFormat((await audio.file(key))!).rate).toBe(8_000);
    expect(readdirSync(dir)).toEqual([`${key}.wav`]);
    // Another secret names the same text differently: a URL cannot be guessed from the text.
    const other = new PromptAudio({ dir, secret: Buffer.alloc(32, 8), speech: counting, mediaBaseUrl: () => 'http://x' });
    expect(await other.mediaOf({ kind: 'text', text: 'Welcome to Acme.' })).not.toContain(key);
  });

  it('serves only well-formed keys it made', async () => {
    expect(await audio.file('../../etc/passwd')).toBeNull();
    expect(await audio.file('0'.repeat(40))).toBeNull();
  });

  it('refuses uploaded audio, which is not built yet', async () => {
    await expect(audio.mediaOf({ kind: 'audio', audioId: 'a1' })).rejects.toMatchObject({ code: 'CF_NOT_FOUND' });
  });
});
