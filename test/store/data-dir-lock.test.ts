import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME, lockDataDir } from '../../src/store/data-dir-lock.ts';
import { openStore } from '../../src/store/open-store.ts';

// The embedded database folder is locked against a second process; a dead holder's lock is taken over.

const HOLDER = new URL('./fixtures/hold-data-dir.ts', import.meta.url).pathname;
const READY_TIMEOUT_MS = 45_000;

const folders: string[] = [];
const children: ChildProcess[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'callflow-lock-'));
  folders.push(dir);
  return dir;
}

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function holdInChild(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`holder not ready in time: ${stderr}`)), READY_TIMEOUT_MS);
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`holder exited with ${code}: ${stderr}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

// Opening the embedded database (and migrating it) takes seconds, and far longer on a busy machine: the tests
// that open it are given 120 s.
const OPENS_DATABASE_MS = 120_000;

describe('embedded data folder lock', () => {
  it('refuses a second process and takes over the lock once the holder is dead', async () => {
    const dataDir = await tempDir();
    const child = await holdInChild(dataDir);

    const refused = openStore({ dataDir });
    await expect(refused).rejects.toMatchObject({ code: 'CF_DATA_DIR_LOCKED', details: { pid: child.pid } });
    await expect(refused).rejects.toThrow(dataDir);

    child.kill('SIGKILL');
    await exited(child);
    const lockPath = join(dataDir, LOCK_FILE_NAME);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: child.pid });

    const store = await openStore({ dataDir });
    try {
      expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
      await store.migrate();
      await store.ping();
    } finally {
      await store.close();
    }
    expect(existsSync(lockPath)).toBe(false);
  }, OPENS_DATABASE_MS);

  it('refuses a second open in the same process until the first is closed', async () => {
    const dataDir = await tempDir();
    const first = await openStore({ dataDir });
    await expect(openStore({ dataDir })).rejects.toMatchObject({ code: 'CF_DATA_DIR_LOCKED' });
    await first.close();
    await first.close();
    const second = await openStore({ dataDir });
    await second.close();
  }, OPENS_DATABASE_MS);

  it('takes over a lock naming this pid that this process does not hold, or one it cannot read', async () => {
    const dataDir = await tempDir();
    const lockPath = join(dataDir, LOCK_FILE_NAME);
    // What a restarted container leaves behind: its old process had the same pid as the new one.
    await writeFile(lockPath, JSON.stringify({ pid: process.pid, hostname: 'old', token: 'old', lockedAt: '' }));
    const lock = await lockDataDir(dataDir);
    expect(JSON.parse(await readFile(lockPath, 'utf8')).token).not.toBe('old');
    await lock.release();
    expect(existsSync(lockPath)).toBe(false);

    await writeFile(lockPath, 'garbage');
    const again = await lockDataDir(dataDir);
    await again.release();
  });

  it('refuses a lock held by another live process', async () => {
    const dataDir = await tempDir();
    await writeFile(
      join(dataDir, LOCK_FILE_NAME),
      JSON.stringify({ pid: process.ppid, hostname: 'here', token: 't', lockedAt: '' }),
    );
    await expect(lockDataDir(dataDir)).rejects.toMatchObject({ code: 'CF_DATA_DIR_LOCKED', details: { pid: process.ppid } });
  });
});
