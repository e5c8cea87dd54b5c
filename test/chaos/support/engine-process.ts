import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeTcpPort } from '../../asterisk/support/ports.ts';

// The engine as an operator runs it: `node bin/callflow.js start` in a process of its own, so that a fault
// test can kill it with SIGKILL (nothing flushed, nothing spooled) and start it again on the same data.

const ROOT = join(import.meta.dirname, '..', '..', '..');

export interface EngineProcess {
  /** Starts the engine (again); resolves once its HTTP port answers /health. */
  start(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** SIGTERM: the engine's own graceful stop. */
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export async function engineProcess(env: Record<string, string>, logDir: string): Promise<EngineProcess> {
  const port = await freeTcpPort();
  const logPath = join(logDir, 'engine.log');
  let child: ChildProcess | null = null;
  let exit: Promise<void> = Promise.resolve();

  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const logTail = (lines = 30): string => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no engine log)';
    }
  };

  const waitExit = async (signal: NodeJS.Signals, boundMs: number): Promise<void> => {
    if (!child) return;
    const running = child;
    running.kill(signal);
    const guard = setTimeout(() => running.kill('SIGKILL'), boundMs);
    await exit;
    clearTimeout(guard);
  };

  return {
    async start() {
      if (child) throw new Error('the engine is running already');
      const out = openSync(logPath, 'a');
      const started = spawn(process.execPath, ['--max-semi-space-size=32', join(ROOT, 'bin', 'callflow.js'), 'start'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
        stdio: ['ignore', out, out],
      });
      closeSync(out);
      child = started;
      exit = new Promise((resolve) =>
        started.once('exit', () => {
          if (child === started) child = null;
          resolve();
        }),
      );
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child !== started) throw new Error(`the engine exited at start:\n${logTail()}`);
        const answered = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) }).then(
          () => true,
          () => false,
        );
        if (answered) return;
        if (Date.now() > deadline) throw new Error(`the engine did not answer within 60 s:\n${logTail()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    kill: () => waitExit('SIGKILL', 10_000),
    async stop() {
      await waitExit('SIGTERM', 30_000);
      process.removeListener('exit', killOnExit);
    },
    logTail,
  };
}
