import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../../src/store/open-store.ts';
import type { SqlStore } from '../../../src/store/sql-store.ts';
import { createPostgresDatabase, type StoreKind } from '../../support/test-store.ts';

// An engine process that only delivers the outbox (outbox-child.ts), for tests that kill it with
// SIGKILL and start it again, and the database it shares with the test.

const CHILD = fileURLToPath(new URL('./outbox-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface OutboxProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  ready: Promise<void>;
}

export function startOutboxProcess(args: object): OutboxProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(stderr);
      resolve(code);
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
    void exited.then(() => reject(new Error(`child exited before it was ready: ${stderr}`)));
  });
  return { child, exited, ready };
}

export interface SharedDatabase {
  open(): Promise<SqlStore>;
  /** How the child process finds the same database. */
  where: { databaseUrl?: string; dataDir?: string };
}

/** A database of the kind for the test and its child processes; `cleanups` drops it at the end. */
export async function sharedDatabase(kind: StoreKind, cleanups: (() => Promise<unknown>)[]): Promise<SharedDatabase> {
  if (kind === 'postgres') {
    const db = await createPostgresDatabase();
    cleanups.push(() => db.drop());
    return { open: () => openStore({ url: db.url, dataDir: 'memory://', poolSize: 2 }), where: { databaseUrl: db.url } };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'callflow-outbox-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  return { open: () => openStore({ dataDir }), where: { dataDir } };
}
