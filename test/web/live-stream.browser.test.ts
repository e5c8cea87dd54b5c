import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCall, type GeneratedCall } from '../../src/sim/generate-call.ts';
import { createIdCounter } from '../../src/sim/ids.ts';
import { createRng } from '../../src/sim/rng.ts';
import { loadTemplate, type TemplateName } from '../../src/sim/template-library.ts';
import { startProxy, type CuttableProxy } from './support/cuttable-proxy.ts';
import {
  CHROMIUM_SKIP_NOTE,
  HAS_CHROMIUM,
  buildDashboard,
  launchChromium,
  openPage,
  screenshot,
  startEngine,
  type EngineUnderTest,
} from './support/dashboard-harness.ts';

// The dashboard's live stream behind API keys, against the real engine with its simulator off: every call
// is one the test posts, so what must appear is known. The page is served through a proxy the test can
// cut, and the engine is restarted under it, to see the dashboard lose the stream, say so, stop its
// clocks, and come back with the calls that ended meanwhile.

const KEY = 'live-stream-test-key-1';
const AUTH = { 'x-api-key': KEY };

describe.skipIf(!HAS_CHROMIUM)(`dashboard live stream behind API keys${CHROMIUM_SKIP_NOTE}`, () => {
  let engine: EngineUnderTest;
  let proxy: CuttableProxy;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const sockets: string[] = [];
  const ids = createIdCounter();
  // Calls of half an hour ago: every event lies in the past, and open calls' clocks run from then.
  const startMs = Date.now() - 30 * 60_000;

  function generated(template: TemplateName, offsetSeconds: number): GeneratedCall {
    return generateCall(loadTemplate(template), {
      rng: createRng(offsetSeconds + 1),
      startMs: startMs + offsetSeconds * 1000,
      idCounter: ids,
      callerNumber: `+1555010${String(offsetSeconds).padStart(4, '0')}`,
      calledNumber: '4242',
      withChannelvars: true,
    });
  }

  /** The events up to its first hangup (the call still up), and the rest. */
  function split(call: GeneratedCall): [object[], object[]] {
    const events = call.events.map((e) => e.event);
    const cut = events.findIndex((e) => e.type === 'ChannelHangupRequest' || e.type === 'ChannelDestroyed');
    return [events.slice(0, cut), events.slice(cut)];
  }

  /** Posted straight to the engine, past the proxy; resolves once durable. */
  async function post(events: readonly object[], server: string): Promise<void> {
    const response = await fetch(`${engine.baseUrl}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ server, events }),
    });
    expect(response.status).toBe(202);
  }

  async function openings(outcome: string): Promise<number> {
    const text = await (await fetch(`${engine.baseUrl}/metrics`, { headers: AUTH })).text();
    return Number(new RegExp(`^callflow_live_openings_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  }

  const liveRow = (id: string) => page.locator(`.live-row[data-call-id="${id}"]`);
  const finishedRow = (id: string) => page.locator(`.finished-row[data-call-id="${id}"]`);
  const banner = () => page.locator('[data-testid="live-offline"]');

  /** Keeps the page from reaching the engine while `during` runs, then lets it reconnect. */
  async function offline(during: () => Promise<void>): Promise<void> {
    proxy.block();
    try {
      await during();
    } finally {
      proxy.unblock();
    }
  }

  /** Back in step: the call is listed as finished and no longer in progress, and the banner is gone. */
  async function expectEndedMeanwhile(id: string): Promise<void> {
    await finishedRow(id).waitFor({ timeout: 45_000 });
    await banner().waitFor({ state: 'detached' });
    expect(await liveRow(id).count()).toBe(0);
    expect(await page.locator('[data-connection="open"]').count()).toBe(1);
  }

  beforeAll(async () => {
    await buildDashboard();
    engine = await startEngine({ API_KEYS: KEY, SIMULATOR: 'off' });
    proxy = await startProxy(engine.port);
    browser = await launchChromium();
    ({ page } = await openPage(browser));
    page.on('request', (request) => requested.push(request.url()));
    page.on('websocket', (socket) => sockets.push(socket.url()));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await engine?.stop();
  });

  it('logs in, streams calls over a ticket, and never puts the key in a URL (live, CSV export, raw events)', async () => {
    await page.goto(`${proxy.baseUrl}/#/`);
    await page.waitForSelector('[data-testid="login-form"]');
    await page.click('text=Use an API key instead');
    await page.fill('input[name="apiKey"]', KEY);
    await page.click('[data-testid="key-form"] button[type="submit"]');
    await page.waitForSelector('[data-connection="open"]');

    const call = generated('dial_answered', 0);
    const [up] = split(call);
    await post(up, 'login');
    await liveRow(call.callId).waitFor();
    expect(await liveRow(call.callId).locator('.pill').textContent()).toBe('Talking');

    await page.goto(`${proxy.baseUrl}/#/history`);
    await page.waitForSelector('.history-row');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
    expect(await download.failure()).toBeNull();
    await page.goto(`${proxy.baseUrl}/#/calls/${encodeURIComponent(call.callId)}`);
    await page.click('[data-testid="toggle-raw"]');
    await page.waitForSelector('[data-testid="raw-events"] li');

    expect(sockets.length).toBeGreaterThan(0);
    for (const url of sockets) expect(url).toMatch(/\/api\/live\?ticket=[A-Za-z0-9_-]{43}(&|$)/);
    const withKey = [...requested, ...sockets].filter((url) => url.includes(KEY) || url.includes(encodeURIComponent(KEY)));
    expect(withKey).toEqual([]);
    expect(requested.some((url) => url.includes('/api/calls/export.csv'))).toBe(true);
    expect(requested.some((url) => /\/events(\?|$)/.test(url))).toBe(true);
  }, 90_000);

  it('says so when the stream is cut and stops its clocks, then resumes and lists the call that ended meanwhile', async () => {
    const call = generated('dial_answered', 60);
    const [up, rest] = split(call);
    await page.goto(`${proxy.baseUrl}/#/`);
    await post(up, 'cut');
    await liveRow(call.callId).waitFor();
    const clock = liveRow(call.callId).locator('.cell-time');
    // Live, the clock ticks.
    const ticking = await clock.textContent();
    await expect.poll(() => clock.textContent(), { timeout: 10_000 }).not.toBe(ticking);

    const resumedBefore = await openings('resumed');
    await offline(async () => {
      proxy.cut();
      await banner().waitFor();
      expect(await liveRow(call.callId).getAttribute('data-stale')).toBe('true');
      expect(await clock.locator('[data-frozen="true"]').count()).toBe(1);
      const frozen = await clock.textContent();
      // Two ticks of the shared one-second clock: a running clock would have moved.
      await page.waitForTimeout(2_500);
      expect(await clock.textContent()).toBe(frozen);
      await screenshot(page, 'live-offline');
      await post(rest, 'cut');
    });
    await expectEndedMeanwhile(call.callId);
    // It came back by resuming: the missed call.finished was replayed, no new snapshot needed.
    expect(await openings('resumed')).toBe(resumedBefore + 1);
    expect(sockets.at(-1)).toMatch(/[?&]since=\d+&stream=[A-Za-z0-9_-]+/);
  }, 90_000);

  it('after an engine restart starts over from a snapshot and lists the call that ended meanwhile from the history', async () => {
    const call = generated('sip_answered', 120);
    const [up, rest] = split(call);
    await post(up, 'restart');
    await liveRow(call.callId).waitFor();

    await offline(async () => {
      await engine.restart();
      await banner().waitFor();
      await post(rest, 'restart');
    });
    await expectEndedMeanwhile(call.callId);
    // A new process: the stream id changed, so the dashboard was told to start over.
    expect(await openings('resnapshot')).toBe(1);
    await screenshot(page, 'live-after-restart');
  }, 120_000);

  it('shows a transfer mark that coincides with the hangup of its leg instead of hiding it under the hangup', async () => {
    const call = generated('blind_transfer', 180);
    await post(call.events.map((e) => e.event), 'transfer');
    await page.goto(`${proxy.baseUrl}/#/calls/${encodeURIComponent(call.callId)}`);
    const lane = page.locator('.lane[data-channel]', { has: page.locator('.mark-transfer') });
    await lane.first().waitFor();
    expect(await lane.count()).toBe(1);
    const transfer = await lane.locator('.mark-transfer').boundingBox();
    const hangup = await lane.locator('.mark-hangup').boundingBox();
    expect(transfer).not.toBeNull();
    expect(hangup).not.toBeNull();
    // At one instant on the axis, one above the other, not overlapping.
    expect(Math.abs(transfer!.x - hangup!.x)).toBeLessThan(1);
    const overlapY = Math.min(transfer!.y + transfer!.height, hangup!.y + hangup!.height) - Math.max(transfer!.y, hangup!.y);
    expect(overlapY).toBeLessThanOrEqual(0);
    // What the user sees at the transfer mark's centre is the transfer mark.
    const [x, y] = [transfer!.x + transfer!.width / 2, transfer!.y + transfer!.height / 2];
    const seen = await page.evaluate(`document.elementFromPoint(${x}, ${y})?.closest('.mark')?.className ?? null`);
    expect(seen).toContain('mark-transfer');
    await screenshot(page, 'transfer-and-hangup');
  }, 60_000);

  it('shows one answer rate: the ring, the answered tile and the outcomes agree, over finished calls only', async () => {
    await post(generated('dial_noanswer', 240).events.map((e) => e.event), 'stats');
    // A call still talking: answered, but without an outcome yet.
    await post(split(generated('dial_answered', 300))[0], 'stats');
    const stats = (await (await fetch(`${engine.baseUrl}/api/stats/calls?since=${new Date(startMs - 60_000).toISOString()}`, { headers: AUTH })).json()) as {
      total: number;
      finished: number;
      answerRate: number;
    };
    expect(stats.total).toBeGreaterThan(stats.finished);

    await page.goto(`${proxy.baseUrl}/#/stats`);
    await page.waitForSelector('[data-testid="answer-rate"] .ring-text');
    const ring = (await page.locator('[data-testid="answer-rate"] .ring-text').textContent()) ?? '';
    const outcomes = page.locator('.panel', { has: page.locator('h2', { hasText: 'Outcomes' }) });
    const answeredOutcome = (await outcomes.locator('li', { hasText: 'Answered' }).locator('.bar-list-value .muted').textContent()) ?? '';
    expect(ring).toBe(`${(stats.answerRate * 100).toFixed(stats.answerRate === 0 || stats.answerRate >= 0.995 ? 0 : 1)}%`);
    expect(answeredOutcome.replace(/^\s*·\s*/, '')).toBe(ring);
    await screenshot(page, 'stats-answer-rate');
  }, 60_000);
});
