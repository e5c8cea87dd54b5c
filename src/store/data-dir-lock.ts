import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AppError, ERROR_CODES } from '../errors.ts';

// PGlite does not lock its data folder, and two processes writing one folder corrupt it. A lock file
// holding the owner's pid guards it: a live owner refuses the newcomer, a dead one's lock is taken over.
// The file is written aside and hard-linked into place, so it never exists half-written.

export const LOCK_FILE_NAME = 'callflow.lock';

interface LockContent {
  pid: number;
  hostname: string;
  token: string;
  lockedAt: string;
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Told when a stale lock of a dead process is taken over. */
  onStaleLock?: (holder: { pid: number; path: string }) => void;
}

// Locks this process holds: a lock file naming our own pid that is not in here is left over from an
// earlier process that happened to have the same pid (pid 1 in a container, typically).
const heldByThisProcess = new Set<string>();

const MAX_ATTEMPTS = 5;

export async function lockDataDir(dataDir: string, options: LockOptions = {}): Promise<DataDirLock> {
  const path = join(resolve(dataDir), LOCK_FILE_NAME);
  const content: LockContent = { pid: process.pid, hostname: hostname(), token: randomUUID(), lockedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await tryCreate(path, content)) {
      heldByThisProcess.add(path);
      return { path, release: () => release(path, content.token) };
    }
    const holder = await readHolder(path);
    if (holder === 'gone') continue;
    if (holder !== 'unreadable' && isAlive(holder.pid, path)) throw lockedError(dataDir, path, holder);
    options.onStaleLock?.({ pid: holder === 'unreadable' ? 0 : holder.pid, path });
    await unlink(path).catch(ignoreMissing);
  }
  throw lockedError(dataDir, path, null);
}

async function tryCreate(path: string, content: LockContent): Promise<boolean> {
  const staging = `${path}.${content.token}`;
  await writeFile(staging, `${JSON.stringify(content)}\n`, { flag: 'wx' });
  try {
    await link(staging, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(staging).catch(ignoreMissing);
  }
}

async function readHolder(path: string): Promise<LockContent | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockContent>;
    if (typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0) return parsed as LockContent;
  } catch {
    // falls through: not a lock file this code wrote
  }
  return 'unreadable';
}

function isAlive(pid: number, path: string): boolean {
  if (pid === process.pid) return heldByThisProcess.has(path);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function release(path: string, token: string): Promise<void> {
  heldByThisProcess.delete(path);
  const holder = await readHolder(path).catch(() => 'unreadable' as const);
  if (typeof holder === 'object' && holder.token === token) await unlink(path).catch(ignoreMissing);
}

function lockedError(dataDir: string, path: string, holder: LockContent | null): AppError {
  const who = holder ? `process ${holder.pid} on ${holder.hostname}` : 'another process';
  return new AppError(
    ERROR_CODES.DATA_DIR_LOCKED,
    `The embedded database folder ${resolve(dataDir)} is in use by ${who}. Stop that process, point ` +
      `database.dataDir at another folder, or set database.url; delete ${path} only if no callflow process uses it.`,
    { details: { dataDir: resolve(dataDir), pid: holder?.pid ?? null } },
  );
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
