import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, runCallflow, waitFor, type Running } from '../../support/processes.ts';

// Drives the built dashboard in Debian's Chromium against the real engine in a child process.

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH);
/** Added to a browser suite's name, so a run without Chromium says why it skipped it. */
export const CHROMIUM_SKIP_NOTE = HAS_CHROMIUM ? '' : ' (skipped: /usr/bin/chromium is not installed; apt-get install -y chromium)';
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

const DIST = join(ROOT, 'web', 'dist');
// Beside web/dist, not in it: everything in web/dist is served as the dashboard's files.
const STAMP = join(ROOT, 'web', '.dist-sources-hash');
const BUILD_LOCK = join(ROOT, 'web', '.build-lock');

/** A hash of everything the bundle is built from: the dashboard's files and the engine sources it imports. */
function sourcesHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (path === DIST || name === 'node_modules' || name.startsWith('.')) continue;
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(relative(ROOT, path)).update(readFileSync(path));
    }
  };
  walk(join(ROOT, 'web'));
  walk(join(ROOT, 'src'));
  return hash.digest('hex');
}

/**
 * Builds web/dist from the current sources, so the test never runs against a stale bundle. Test files run
 * in parallel and each may call this: one builds under a lock while the others wait, then find the bundle
 * current (by its sources' hash) and leave it alone; a build emptying web/dist under a running engine
 * would take its files away.
 */
export async function buildDashboard(): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      // A lock older than any build is left from a killed test run.
      const lock = statSync(BUILD_LOCK, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > 150_000) rmSync(BUILD_LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${BUILD_LOCK} held for 3 minutes; remove it if no build is running`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    const wanted = sourcesHash();
    if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === wanted) return;
    const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    const result = spawnSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
    writeFileSync(STAMP, wanted);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

export interface EngineUnderTest {
  baseUrl: string;
  port: number;
  /** Stops the engine and starts it again on the same port and data: a new process, a new live stream. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEngine(env: Record<string, string> = {}): Promise<EngineUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-web-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const launch = async (): Promise<Running> => {
    const running = runCallflow(['start', '--port', String(port), '--host', '127.0.0.1'], {
      CALLFLOW_DATA_DIR: dataDir,
      SIMULATOR_CALLS_PER_SECOND: '3',
      LOG_LEVEL: 'warn',
      ...env,
    });
    try {
      await waitFor(async () => ((await fetch(`${baseUrl}/health`)).ok ? true : undefined), 45_000);
    } catch (error) {
      running.child.kill('SIGKILL');
      throw new Error(`engine did not become healthy: ${String(error)}\n${running.output()}`);
    }
    return running;
  };
  const halt = async (running: Running): Promise<void> => {
    running.child.kill('SIGTERM');
    const killer = setTimeout(() => running.child.kill('SIGKILL'), 10_000);
    await running.exited;
    clearTimeout(killer);
  };
  let running = await launch();
  return {
    baseUrl,
    port,
    async restart() {
      await halt(running);
      running = await launch();
    },
    async stop() {
      await halt(running);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** Page script: every Content-Security-Policy violation becomes a console error. */
const CSP_VIOLATION_REPORTER = `
  document.addEventListener('securitypolicyviolation', function (e) {
    console.error('CSP violation: ' + e.violatedDirective + ' refused ' + (e.blockedURI || '(inline)') + ' in ' + (e.sourceFile || e.documentURI));
  });
`;

export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught exceptions and Content-Security-Policy violations seen so far. */
  errors: string[];
}

export async function openPage(browser: Browser, viewport = { width: 1360, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  // Anything the Content-Security-Policy refuses shows up as an error, whatever the browser logs itself.
  await context.addInitScript(CSP_VIOLATION_REPORTER);
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

/** A logged-in API client (session cookie and CSRF token), for setting up and for checking what was stored. */
export async function apiSession(baseUrl: string, who: { email: string; password: string }) {
  const login = await fetch(`${baseUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: who.email, password: who.password }),
  });
  if (login.status !== 200) throw new Error(`login of ${who.email} answered ${login.status}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return async <T>(method: string, path: string, body?: unknown, tenantId?: string): Promise<{ status: number; body: T }> => {
    const headers: Record<string, string> = { cookie, 'x-csrf-token': csrfToken };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (tenantId) headers['x-tenant-id'] = tenantId;
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
}
