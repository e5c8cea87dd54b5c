import { createHmac } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { Prompt } from '../objects/model.ts';
import { DEFAULT_VOICE, type Speech } from './speech.ts';

// The audio of prompts, as Asterisk fetches it: a text prompt is spoken once (offline, speech.ts), kept as a
// WAV file named by a keyed hash of its voice and text, and played as `sound:<media base>/media/prompts/<key>.wav`
// (Asterisk's HTTP media cache fetches and caches it). The key is an HMAC under a secret of this engine's, so
// the URL cannot be guessed from a tenant's prompt text, and Asterisk needs no credentials to fetch it.

const KEY = /^[0-9a-f]{40}$/;

export interface PromptAudioOptions {
  /** Where the WAV files are kept. */
  dir: string;
  /** Keys the file names (32 bytes or more). */
  secret: Buffer;
  speech: Speech;
  /** Base URL Asterisk reaches the engine's HTTP server at, e.g. `http://127.0.0.1:3000` (read at each use). */
  mediaBaseUrl: () => string;
}

export class PromptAudio {
  /** Prompts being spoken now: a second request for the same one waits for the first. */
  private readonly making = new Map<string, Promise<void>>();
  /** Keys whose file this engine has seen on disk (files are never removed while it runs). */
  private readonly present = new Set<string>();

  constructor(private readonly o: PromptAudioOptions) {}

  /** The media URI Asterisk plays for `prompt` (its audio is made first when needed). */
  async mediaOf(prompt: Prompt): Promise<string> {
    switch (prompt.kind) {
      case 'text': {
        const key = this.keyOf(DEFAULT_VOICE, prompt.text);
        await this.ensure(key, prompt.text);
        return `sound:${this.o.mediaBaseUrl().replace(/\/+$/, '')}/media/prompts/${key}.wav`;
      }
      case 'audio':
        throw new AppError(ERROR_CODES.NOT_FOUND, `uploaded audio ${prompt.audioId} is not available: uploads are not built yet`);
      default: {
        const never: never = prompt;
        throw new Error(`unknown prompt ${JSON.stringify(never)}`);
      }
    }
  }

  /** A prompt's WAV file by its key, or null (unknown key, or not made by this engine). */
  async file(key: string): Promise<Buffer | null> {
    if (!KEY.test(key)) return null;
    return readFile(this.pathOf(key)).catch(() => null);
  }

  private keyOf(voice: string, text: string): string {
    return createHmac('sha256', this.o.secret).update(`${voice}\0${text}`).digest('hex').slice(0, 40);
  }

  private pathOf(key: string): string {
    return join(this.o.dir, `${key}.wav`);
  }

  private async ensure(key: string, text: string): Promise<void> {
    if (this.present.has(key)) return;
    if (await stat(this.pathOf(key)).then(() => true, () => false)) {
      this.present.add(key);
      return;
    }
    let making = this.making.get(key);
    if (!making) {
      making = this.make(key, text).finally(() => this.making.delete(key));
      this.making.set(key, making);
    }
    await making;
  }

  private async make(key: string, text: string): Promise<void> {
    const wav = await this.o.speech.synthesize(text, DEFAULT_VOICE);
    await mkdir(this.o.dir, { recursive: true });
    // Written aside and renamed: Asterisk never fetches half a file.
    const partial = `${this.pathOf(key)}.${process.pid}.part`;
    await writeFile(partial, wav);
    await rename(partial, this.pathOf(key));
    this.present.add(key);
  }
}
