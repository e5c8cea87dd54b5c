import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DIR } from './asterisk-instance.ts';
import { freeUdpPort } from './ports.ts';

// sipp runs, always bounded: a call count (-m), sipp's own -timeout, and a kill of the process group after
// `timeoutMs` in case sipp itself hangs. `stopAllSipp` ends whatever a failed test left running.

export const SIPP_BIN = process.env.CALLFLOW_TEST_SIPP ?? 'sipp';
export const SCENARIO_DIR = join(CONFIG_DIR, 'sipp');

export function sippInstalled(): boolean {
  const r = spawnSync(SIPP_BIN, ['-v'], { timeout: 10_000 });
  return r.error === undefined && String(r.stdout).includes('SIPp');
}

export interface SippRun {
  /** Resolves with sipp's exit code (0: every call passed) and what it printed. */
  done: Promise<{ code: number | null; output: string }>;
  kill(): void;
}

export interface SippOptions {
  /** `-sn uac` style built-in scenario, or a file in test/asterisk/config/sipp. */
  scenario: { builtin: string } | { file: string };
  /** host:port to send to (UAC); omitted for a UAS. */
  target?: string;
  /** Local port; a free one when omitted. */
  port?: number;
  service?: string;
  calls: number;
  extra?: string[];
  timeoutMs?: number;
  /**
   * Resolve only once sipp listens on `port` (a UAS that must be there before Asterisk calls it, with no prompt
   * to give it time). Read from /proc/net/udp: a probe bind could take the port from sipp as it starts.
   */
  awaitListening?: boolean;
}

const running = new Set<ChildProcess>();
// A test process that dies without its afterAll must not leave sipp running.
process.once('exit', () => stopAllSipp());

export async function runSipp(options: SippOptions): Promise<SippRun> {
  const port = options.port ?? (await freeUdpPort());
  const timeoutMs = options.timeoutMs ?? 30_000;
  const args = [
    ...('builtin' in options.scenario ? ['-sn', options.scenario.builtin] : ['-sf', join(SCENARIO_DIR, options.scenario.file)]),
    ...(options.target ? [options.target] : []),
    ...(options.service ? ['-s', options.service] : []),
    '-i', '127.0.0.1', '-mi', '127.0.0.1', '-p', String(port),
    '-m', String(options.calls),
    '-nostdin', '-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '-timeout_error',
    // answers NOTIFY (transfer progress), INFO, OPTIONS and UPDATE with 200 OK on its own
    '-aa',
    ...(options.extra ?? []),
  ];
  const child = spawn(SIPP_BIN, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + String(d)).slice(-20_000)));
  child.stderr!.on('data', (d) => (output = (output + String(d)).slice(-20_000)));
  const kill = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const guard = setTimeout(kill, timeoutMs + 5_000);
  const done = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.once('error', (err) => {
      output += String(err);
    });
    child.once('close', (code) => {
      clearTimeout(guard);
      running.delete(child);
      resolve({ code, output });
    });
  });
  if (options.awaitListening) {
    const deadline = Date.now() + 15_000;
    while (!udpListening(port)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        kill();
        throw new Error(`sipp did not listen on 127.0.0.1:${port}: ${output.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { done, kill };
}

/** Whether a socket is bound to UDP `port` on 127.0.0.1 (or any address), by the kernel's table. */
export function udpListening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  try {
    return readFileSync('/proc/net/udp', 'utf8')
      .split('\n')
      .slice(1)
      .some((line) => {
        const local = line.trim().split(/\s+/)[1] ?? '';
        return local === `0100007F:${hex}` || local === `00000000:${hex}`;
      });
  } catch {
    return true; // no /proc: do not wait
  }
}

/** Runs sipp to the end and fails with its output unless every call passed. */
export async function sippCalls(options: SippOptions): Promise<void> {
  const run = await runSipp(options);
  const { code, output } = await run.done;
  if (code !== 0) throw new Error(`sipp ${JSON.stringify(options.scenario)} ${options.service ?? ''} exited ${code}:\n${output.slice(-3000)}`);
}

export function stopAllSipp(): void {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
