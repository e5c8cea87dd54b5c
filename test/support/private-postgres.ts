import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './processes.ts';

// A throwaway PostgreSQL server of the test's own: fault tests stop it, kill it and freeze it (SIGSTOP) without
// touching the machine's shared server, which other test files use at the same time. The cluster lives in a
// temp dir, listens on a free loopback port and is removed at the end. PostgreSQL refuses to run as root, so
// as root it runs as the `postgres` system user (util-linux `setpriv`).

const PG_ROOT = '/usr/lib/postgresql';

function binDir(): string | null {
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(PG_ROOT, versions[0], 'bin');
}

function systemUser(): { uid: number; gid: number } | null {
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

const isRoot = process.getuid?.() === 0;

/** Why a private server cannot run here, or null when it can. */
export function privatePostgresUnavailable(): string | null {
  if (binDir() === null) return `no PostgreSQL server binaries under ${PG_ROOT}`;
  if (isRoot && systemUser() === null) return 'running as root and there is no postgres system user to run the server as';
  if (isRoot && spawnSync('setpriv', ['--version']).status !== 0) return 'running as root without setpriv to run the server as the postgres user';
  return null;
}

function asServerUser(command: string, args: string[]): [string, string[]] {
  // setpriv changes user and execs in place (runuser would stay as a parent, and stop itself with a frozen child).
  return isRoot ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', command, ...args]] : [command, args];
}

export class PrivatePostgres {
  private process: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private frozen = false;

  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  /** Creates a cluster and starts it. */
  static async create(): Promise<PrivatePostgres> {
    const bin = binDir();
    if (bin === null) throw new Error(privatePostgresUnavailable() ?? 'no PostgreSQL');
    const dir = mkdtempSync('/tmp/cf-pg-');
    if (isRoot) {
      const user = systemUser()!;
      chownSync(dir, user.uid, user.gid);
    }
    const [cmd, args] = asServerUser(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    const init = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
    if (init.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
    }
    const server = new PrivatePostgres(bin, dir, await freePort());
    await server.start();
    return server;
  }

  /** A database URL on this server. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server (again) on the same data and port; resolves when it takes connections. */
  async start(): Promise<void> {
    if (this.process) return;
    const [cmd, args] = asServerUser(join(this.bin, 'postgres'), [
      '-D', join(this.dir, 'data'),
      '-p', String(this.port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${this.dir}`,
      '-c', 'max_connections=50',
      '-c', 'shared_buffers=64MB',
    ]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 8_192) stderr += chunk.toString('utf8');
    });
    this.process = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      if (this.process === child) this.process = null;
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.process !== child) throw new Error(`PostgreSQL did not start: ${stderr}`);
      if (await this.answers()) return;
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not answer within 30 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async answers(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** The postmaster's pid and its children's (every backend calls setsid: a process group does not reach them). */
  private serverPids(): number[] {
    if (!this.process) return [];
    let postmaster: number;
    try {
      postmaster = Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return this.process.pid === undefined ? [] : [this.process.pid];
    }
    const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    return [postmaster, ...children];
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const pid of this.serverPids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // Gone already.
      }
    }
  }

  /** Stops the server the way an operator does (fast shutdown: open transactions are rolled back). */
  async stop(): Promise<void> {
    if (!this.process) return;
    this.thaw();
    this.signalAll('SIGINT');
    await this.exited;
  }

  /** Kills every process of the server at once, as a crash would. */
  async kill(): Promise<void> {
    if (!this.process) return;
    this.signalAll('SIGKILL');
    this.frozen = false;
    await this.exited;
  }

  /** Freezes every process of the server: connections stay open and nothing answers. */
  freeze(): void {
    this.signalAll('SIGSTOP');
    this.frozen = true;
  }

  thaw(): void {
    if (!this.frozen) return;
    this.signalAll('SIGCONT');
    this.frozen = false;
  }

  /** Stops the server and removes its files. */
  async destroy(): Promise<void> {
    this.thaw();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
