import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, runCallflow, waitFor, type Running } from '../../support/processes.ts';

// Drives the built dashboard in Debian's Chromium against the real engine in a child process.

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH);
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', '..', 'test-results', 'screenshots');
const ROOT = join(import.meta.dirname, '..', '..', '..');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let built = false;

/** Builds web/dist from the current sources, so the test never runs against a stale bundle (once per test file). */
export function buildDashboard(): void {
  if (built) return;
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
  built = true;
}

export interface EngineUnderTest {
  baseUrl: string;
  stop(): Promise<void>;
}

export async function startEngine(env: Record<string, string> = {}): Promise<EngineUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-web-'));
  const port = await freePort();
  const running: Running = runCallflow(['start', '--port', String(port), '--host', '127.0.0.1'], {
    CALLFLOW_DATA_DIR: dataDir,
    SIMULATOR_CALLS_PER_SECOND: '3',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => ((await fetch(`${baseUrl}/health`)).ok ? true : undefined), 45_000);
  } catch (error) {
    running.child.kill('SIGKILL');
    throw new Error(`engine did not become healthy: ${String(error)}\n${running.output()}`);
  }
  return {
    baseUrl,
    async stop() {
      running.child.kill('SIGTERM');
      const killer = setTimeout(() => running.child.kill('SIGKILL'), 10_000);
      await running.exited;
      clearTimeout(killer);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
}

export async function openPage(browser: Browser, viewport = { width: 1360, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** How far the document is wider than the viewport, in CSS pixels (0 when nothing overflows). */
export async function horizontalOverflowPx(page: Page): Promise<number> {
  return Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
}
