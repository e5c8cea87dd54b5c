import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
  return { done, kill };
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
