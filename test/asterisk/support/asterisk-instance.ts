import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeRtpRange, freeTcpPort, freeUdpPort } from './ports.ts';

// A private Asterisk for one test file: configs from test/asterisk/config/ rendered into a short temp dir,
// loopback ports asked of the kernel, its own process group, stopped with `core stop now` and signals after.

export const ASTERISK_BIN = process.env.CALLFLOW_TEST_ASTERISK ?? '/opt/asterisk/sbin/asterisk';
export const CONFIG_DIR = join(import.meta.dirname, '..', 'config');
const BOOT_TIMEOUT_MS = 60_000;
const CLI_TIMEOUT_MS = 15_000;
/** RTP ports per instance: about size/2 concurrent media streams (the burst scenario needs the most). */
const RTP_PORTS = 600;

export interface AsteriskOptions {
  /** Adds `channelvars = CHANNEL(linkedid)` to ari.conf, so every ARI channel object carries the linkedid. */
  linkedidChannelvar: boolean;
}

export interface AsteriskInstance {
  rundir: string;
  ariUrl: string;
  ariUser: string;
  ariPassword: string;
  sipPort: number;
  /** Where the `sipp` endpoint's contact points: a sipp UAS answering calls originated to PJSIP/sipp. */
  sippUasPort: number;
  /** Two more phones' ports (contacts of default-103 and default-104): sipp UAS runs of the routing tests. */
  sippUasPort2: number;
  sippUasPort3: number;
  celPath: string;
  cdrPath: string;
  cli(command: string): Promise<string>;
  /** The instance's log tail, for failure messages. */
  logTail(lines?: number): string;
  /** Waits until the running Asterisk is fully booted again (after a `core restart`). */
  waitBooted(): Promise<void>;
  /** Kills Asterisk (SIGKILL), as a crash would; `start` brings it back on the same files and ports. */
  kill(): Promise<void>;
  /** True once the Asterisk process has exited (a restart normally execs in place and keeps it). */
  exited(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface CliResult {
  ok: boolean;
  out: string;
}

function cliRaw(conf: string, command: string, timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(ASTERISK_BIN, ['-C', conf, '-rx', command], { timeout: timeoutMs }, (err, stdout) => resolve({ ok: !err, out: String(stdout) }));
  });
}

/** 8 kHz 16-bit mono WAV of a 1 kHz tone: the package has no sound or MOH files. */
function toneWav(ms: number): Buffer {
  const n = ms * 8;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * i) / 8)), 44 + i * 2);
  return b;
}

function renderConfigs(rundir: string, vars: Record<string, string | number>): void {
  for (const file of readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.conf'))) {
    const text = readFileSync(join(CONFIG_DIR, file), 'utf8').replace(/@([A-Z_]+)@/g, (m, key: string) => (key in vars ? String(vars[key]) : m));
    writeFileSync(join(rundir, 'etc', file), text);
  }
}

function prepareRundir(): string {
  // Short and without '.': the control socket path has a 108-byte limit, and the media cache cuts paths at a '.'.
  const rundir = mkdtempSync('/tmp/ast-');
  for (const d of ['etc', 'run', 'log/cdr-csv', 'log/cdr-custom', 'log/cel-custom', 'spool', 'spool/recording', 'lib/keys', 'cache', 'data/sounds/en', 'data/moh', 'data/agi-bin']) {
    mkdirSync(join(rundir, d), { recursive: true });
  }
  for (const d of ['rest-api', 'static-http']) {
    const src = `/opt/asterisk/var/lib/asterisk/${d}`;
    if (existsSync(src)) symlinkSync(src, join(rundir, 'data', d));
  }
  writeFileSync(join(rundir, 'data/moh/tone-1khz.wav'), toneWav(1000));
  writeFileSync(join(rundir, 'data/sounds/en/beep.wav'), toneWav(250));
  // The attended-transfer prompt: without it the feature cannot read the target's number.
  writeFileSync(join(rundir, 'data/sounds/en/pbx-transfer.wav'), toneWav(250));
  return rundir;
}

export async function startAsterisk(options: AsteriskOptions): Promise<AsteriskInstance> {
  const [httpPort, sipPort, sippUasPort, rtp] = [await freeTcpPort(), await freeUdpPort(), await freeUdpPort(), await freeRtpRange(RTP_PORTS)];
  // Drawn one after another at random: the same port twice would give two phones one sipp.
  let sippUasPort2 = await freeUdpPort();
  while (sippUasPort2 === sippUasPort || sippUasPort2 === sipPort) sippUasPort2 = await freeUdpPort();
  let sippUasPort3 = await freeUdpPort();
  while ([sipPort, sippUasPort, sippUasPort2].includes(sippUasPort3)) sippUasPort3 = await freeUdpPort();
  const rundir = prepareRundir();
  const conf = join(rundir, 'etc', 'asterisk.conf');
  renderConfigs(rundir, {
    RUNDIR: rundir,
    HTTP_PORT: httpPort,
    SIP_PORT: sipPort,
    SIPP_UAS_PORT: sippUasPort,
    SIPP_UAS_B_PORT: sippUasPort2,
    SIPP_UAS_C_PORT: sippUasPort3,
    RTP_START: rtp.start,
    RTP_END: rtp.end,
    CHANNELVARS: options.linkedidChannelvar ? 'channelvars = CHANNEL(linkedid)' : '',
  });

  // One Asterisk process at a time on this rundir and these ports: a fault test kills it and starts it again.
  let proc = launch(conf, rundir);

  const logTail = (lines = 30): string => {
    const path = join(rundir, 'log', 'messages.log');
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n') : '(no messages.log)';
  };

  const stdoutTail = (): string => {
    const path = join(rundir, 'log', 'stdout.log');
    return existsSync(path) ? readFileSync(path, 'utf8').slice(-2_000) : '(no stdout.log)';
  };

  let stopped: Promise<void> | null = null;
  const stop = (keepFiles = false): Promise<void> =>
    (stopped ??= (async () => {
      if (!proc.exited()) {
        await cliRaw(conf, 'core stop now', 5_000);
        const term = setTimeout(() => proc.child.kill('SIGTERM'), 5_000);
        const kill = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
        await proc.exit;
        clearTimeout(term);
        clearTimeout(kill);
      }
      if (!keepFiles && !process.env.CALLFLOW_KEEP_ASTERISK) rmSync(rundir, { recursive: true, force: true });
    })());

  const fail = async (why: string): Promise<never> => {
    const tail = logTail(15);
    await stop(true);
    throw new Error(`Asterisk: ${why} (files kept in ${rundir})\n${tail}`);
  };

  /** Waits for the running process to be fully booted with its listeners bound; false with the reason if not. */
  const booted = async (): Promise<string | null> => {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    let up = false;
    while (!up && !proc.exited() && Date.now() < deadline) {
      // Fails at once until the control socket exists, then blocks until the boot is done.
      const r = await cliRaw(conf, 'core waitfullybooted');
      up = r.ok && r.out.includes('fully booted');
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    if (!up) return proc.exited() ? 'exited during boot' : `not fully booted within ${BOOT_TIMEOUT_MS} ms`;
    // A busy port does not stop the boot; it only leaves that listener out.
    if (!(await cliRaw(conf, 'http show status')).out.includes(`127.0.0.1:${httpPort}`)) return `HTTP not bound to 127.0.0.1:${httpPort}`;
    if (!(await cliRaw(conf, 'pjsip show transports')).out.includes(`127.0.0.1:${sipPort}`)) return `SIP not bound to 127.0.0.1:${sipPort}`;
    return null;
  };
  const bootProblem = await booted();
  if (bootProblem !== null) await fail(bootProblem);

  return {
    rundir,
    ariUrl: `http://127.0.0.1:${httpPort}`,
    ariUser: 'test',
    ariPassword: 'test',
    sipPort,
    sippUasPort,
    sippUasPort2,
    sippUasPort3,
    celPath: join(rundir, 'log', 'cel-custom', 'cel.jsonl'),
    cdrPath: join(rundir, 'log', 'cdr-custom', 'cdr.jsonl'),
    async cli(command) {
      const r = await cliRaw(conf, command);
      if (!r.ok) throw new Error(`Asterisk CLI failed: ${command}`);
      return r.out;
    },
    logTail,
    async waitBooted() {
      const problem = await booted();
      if (problem !== null) throw new Error(`Asterisk: ${problem}\n${logTail(15)}\nstdout:\n${stdoutTail()}`);
    },
    exited: () => proc.exited(),
    async kill() {
      proc.child.kill('SIGKILL');
      await proc.exit;
    },
    async start() {
      if (!proc.exited()) throw new Error('Asterisk is running already');
      proc = launch(conf, rundir);
      const problem = await booted();
      if (problem !== null) throw new Error(`Asterisk: ${problem}\n${logTail(15)}`);
    },
    stop: () => stop(false),
  };
}

interface AsteriskProcess {
  child: ChildProcess;
  exit: Promise<void>;
  exited(): boolean;
}

function launch(conf: string, rundir: string): AsteriskProcess {
  const out = openSync(join(rundir, 'log', 'stdout.log'), 'a');
  // Its own process group: a Ctrl-C of the test runner must not kill it behind the harness's back.
  const child = spawn(ASTERISK_BIN, ['-C', conf, '-f', '-n'], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.once('error', () => undefined);
  // A test process that dies without its afterAll (killed worker, crash) must not leave Asterisk running.
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  void exit.then(() => process.removeListener('exit', killOnExit));
  return { child, exit, exited: () => exited };
}
