import { Worker } from 'node:worker_threads';
import { AppError, ERROR_CODES } from '../../errors.ts';

// Offline text-to-speech for prompts given as text: Flite in a thread of its own (flite-thread.js). No
// network, no key: the voices are inside the package. The thread starts on the first request and keeps the
// process alive only while a request is open.

/** Longest prompt text, in characters (a long menu is about 300). */
export const MAX_PROMPT_CHARS = 1_000;
/** Flite's kal voice speaks at 8 kHz, the telephone rate: Asterisk plays it as `wav` without resampling. */
export const DEFAULT_VOICE = 'kal';
const REQUEST_TIMEOUT_MS = 15_000;

const THREAD_FILE = new URL('./flite-thread.js', import.meta.url);

export interface Speech {
  /** A WAV file (16-bit mono PCM) of `text` spoken; CF_SPEECH_FAILED when it cannot be made. */
  synthesize(text: string, voice?: string): Promise<Buffer>;
  close(): Promise<void>;
}

interface Waiting {
  resolve: (wav: Buffer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class OfflineSpeech implements Speech {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  synthesize(text: string, voice: string = DEFAULT_VOICE): Promise<Buffer> {
    if (text.trim() === '') return Promise.reject(failed('the prompt text is empty'));
    if (text.length > MAX_PROMPT_CHARS) return Promise.reject(failed(`the prompt text is longer than ${MAX_PROMPT_CHARS} characters`));
    if (!/^[a-z0-9_]{1,32}$/.test(voice)) return Promise.reject(failed(`unknown voice ${JSON.stringify(voice.slice(0, 40))}`));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, failed(`no audio within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
      this.waiting.set(id, { resolve, reject, timer });
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ id, text, voice });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    for (const id of [...this.waiting.keys()]) this.settle(id, failed('speech was closed'));
    if (worker) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_FILE);
    worker.on('message', (reply: { id: number; ok: boolean; wav?: Uint8Array; error?: string }) => {
      this.settle(reply.id, reply.ok && reply.wav ? Buffer.from(reply.wav.buffer, reply.wav.byteOffset, reply.wav.byteLength) : failed(reply.error ?? 'no audio'));
    });
    worker.on('error', (error) => this.failAll(failed(`the speech thread failed: ${error.message}`)));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.failAll(failed('the speech thread exited'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private settle(id: number, outcome: Buffer | Error): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    clearTimeout(waiting.timer);
    if (this.waiting.size === 0) this.worker?.unref();
    if (outcome instanceof Error) waiting.reject(outcome);
    else waiting.resolve(outcome);
  }

  private failAll(error: Error): void {
    for (const id of [...this.waiting.keys()]) this.settle(id, error);
  }
}

function failed(reason: string): AppError {
  return new AppError(ERROR_CODES.SPEECH_FAILED, `text-to-speech failed: ${reason}`);
}
