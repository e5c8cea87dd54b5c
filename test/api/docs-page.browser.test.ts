import type { Browser, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, launchChromium, openPage, startEngine, type EngineUnderTest } from '../web/support/dashboard-harness.ts';

// /docs in Chromium on an engine with API keys: the page is public, the document it shows needs a key. It
// uses the key the dashboard keeps in this origin's localStorage, or asks for one, sends it as a header
// and never in a URL, and nothing on the page breaks the Content-Security-Policy.

const SKIP_REASON = HAS_CHROMIUM ? '' : ' (skipped: /usr/bin/chromium is not installed; apt-get install -y chromium)';
const KEY = 'docs-browser-test-key-0123';

describe.skipIf(!HAS_CHROMIUM)(`/docs behind API keys${SKIP_REASON}`, () => {
  let engine: EngineUnderTest;
  let browser: Browser;

  beforeAll(async () => {
    engine = await startEngine({ API_KEYS: KEY, SIMULATOR: 'off', AUTH_FAILURE_LIMIT: '0' });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
  });

  function watchRequests(requests: Request[]): (request: Request) => void {
    return (request) => requests.push(request);
  }

  it('shows the operations with the key the dashboard keeps, sent as a header only', async () => {
    const { page, errors } = await openPage(browser);
    const requests: Request[] = [];
    page.on('request', watchRequests(requests));
    // The key an operator typed into the dashboard, kept in this origin's storage as the dashboard keeps it.
    await page.context().addInitScript(`localStorage.setItem('callflow.apiKey', ${JSON.stringify(KEY)})`);
    await page.goto(`${engine.baseUrl}/docs`);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    const paths = await page.locator('.opblock-summary-path').allTextContents();
    expect(paths.map((p) => p.replace(/\u200b/g, ''))).toEqual(expect.arrayContaining(['/api/calls', '/api/events', '/health']));
    const spec = requests.find((r) => new URL(r.url()).pathname === '/docs/json');
    expect(spec).toBeDefined();
    expect(await spec!.headerValue('x-api-key')).toBe(KEY);
    expect(requests.filter((r) => r.url().includes(KEY))).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90_000);

  it('asks for a key when it has none, keeps it where the dashboard finds it, and then shows the operations', async () => {
    const { page, errors } = await openPage(browser);
    const requests: Request[] = [];
    page.on('request', watchRequests(requests));
    const asked: string[] = [];
    page.on('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept(KEY);
    });
    await page.goto(`${engine.baseUrl}/docs`);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('API key');
    expect(await page.evaluate("localStorage.getItem('callflow.apiKey')")).toBe(KEY);
    expect(requests.filter((r) => r.url().includes(KEY))).toEqual([]);
    // The only error allowed is the browser's report of the document refused before the key was given.
    expect(errors.filter((text) => !/401/.test(text))).toEqual([]);
    await page.context().close();
  }, 90_000);
});
