import { fork, type ChildProcess } from 'node:child_process';

// Starts a TypeScript file in a Node process of its own (tsx as the loader), with an IPC channel.

export function forkTsx(file: string | URL, args: string[] = [], nodeArgs: string[] = [], options: { stdin?: 'pipe' } = {}): ChildProcess {
  const path = file instanceof URL ? file.pathname : file;
  return fork(path, args, {
    execArgv: [...nodeArgs, '--import', 'tsx'],
    stdio: [options.stdin ?? 'ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Resolves with the first message `accept` takes; rejects when the process exits first or time runs out. */
export function nextMessage<T>(child: ChildProcess, accept: (message: unknown) => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown): void => {
      try {
        const value = accept(message);
        if (value !== undefined) finish(null, value);
      } catch (error) {
        finish(error as Error);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      finish(new Error(`${what}: process exited (code ${code}, signal ${signal}) before answering`));
    };
    function finish(error: Error | null, value?: T): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value as T);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Asks a child to exit, and kills it if it has not within `graceMs`. */
export async function endChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
