import { freePort, runCallflow, waitFor, type Running } from '../../support/processes.ts';

// The engine as an operator runs it: `callflow start` in a process of its own, so that a fault test can kill
// it with SIGKILL (nothing flushed, nothing spooled) and start it again on the same data.

export interface EngineProcess {
  /** Starts the engine (again); resolves once its HTTP port answers /health. */
  start(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** SIGTERM: the engine's own graceful stop. */
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export async function engineProcess(env: Record<string, string>): Promise<EngineProcess> {
  const port = await freePort();
  let running: Running | null = null;
  /** Every run's output, kept across restarts. */
  let earlier = '';

  const killOnExit = (): void => {
    running?.child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const logTail = (lines = 30): string => `${earlier}${running?.output() ?? ''}`.split('\n').slice(-lines).join('\n');

  const end = async (signal: NodeJS.Signals, boundMs: number): Promise<void> => {
    if (!running) return;
    const { child, exited, output } = running;
    child.kill(signal);
    const guard = setTimeout(() => child.kill('SIGKILL'), boundMs);
    await exited;
    clearTimeout(guard);
    earlier += output();
    running = null;
  };

  return {
    async start() {
      if (running) throw new Error('the engine is running already');
      const started = runCallflow(['start'], { HOST: '127.0.0.1', PORT: String(port), ...env });
      running = started;
      let gone = false;
      void started.exited.then(() => (gone = true));
      try {
        await waitFor(async () => {
          if (gone) throw new Error('exited');
          await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
          return true;
        }, 60_000);
      } catch {
        throw new Error(`the engine did not come up${gone ? ' (it exited)' : ' within 60 s'}:\n${logTail()}`);
      }
    },
    kill: () => end('SIGKILL', 10_000),
    async stop() {
      await end('SIGTERM', 30_000);
      process.removeListener('exit', killOnExit);
    },
    logTail,
  };
}
