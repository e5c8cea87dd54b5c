import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAsterisk, asteriskTimestamp } from '../support/fake-asterisk.ts';
import { contrastRatio } from './support/contrast.ts';
import {
  CHROMIUM_SKIP_NOTE,
  HAS_CHROMIUM,
  apiSession,
  buildDashboard,
  horizontalOverflowPx,
  launchChromium,
  openPage,
  screenshot,
  startEngine,
  type EngineUnderTest,
} from './support/dashboard-harness.ts';

// The operator console against a real engine connected to a fake Asterisk: the presence board shows what the
// Asterisk lists and reports of the tenant's phones (101 registered, 102 not), follows a device state pushed
// over the events socket within a poll, keeps the last board and says so when a poll fails; a call routed by
// the engine to a ring group shows its caller, path and answering extension in the console, the live page and
// its own page; the wall board drops the navigation; the theme switch turns the whole dashboard dark, for good,
// and readable.

const OPERATOR = { email: 'root@example.test', name: 'Root Operator', password: 'correct horse battery' };
const OWNER = { email: 'owner@acme.test', name: 'Olga Owner', password: 'owner password 1' };
const PHONE = { width: 390, height: 844 };
const NUMBER = '+4930123456';


async function logIn(page: Page, baseUrl: string, who: { email: string; password: string }): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('[data-testid="login-form"]');
  await page.fill('input[name="email"]', who.email);
  await page.fill('input[name="password"]', who.password);
  await page.click('[data-testid="login-form"] button[type="submit"]');
  await page.waitForSelector('.topbar [data-testid="account-chip"]');
}

const tile = (page: Page, number: string) => page.locator(`.presence-tile[data-extension="${number}"]`);
const groupCount = (page: Page, group: string, state: string) =>
  page.locator(`[data-ring-group="${group}"] .presence-count[data-count="${state}"] .count-value`);

/** Colours of an element as the browser paints them: its text and the first opaque background up the tree. */
async function paintedColours(page: Page, selector: string): Promise<{ color: string; background: string }> {
  // A string, as the other browser tests evaluate: this project's tsconfig has no DOM types.
  return page.evaluate(`(() => {
    const element = document.querySelector(${JSON.stringify(selector)});
    if (!element) throw new Error('no ' + ${JSON.stringify(selector)});
    const color = getComputedStyle(element).color;
    for (let at = element; at; at = at.parentElement) {
      const background = getComputedStyle(at).backgroundColor;
      if (!/rgba\\(.*,\\s*0\\)$/.test(background) && background !== 'transparent') return { color, background };
    }
    return { color, background: 'rgb(255, 255, 255)' };
  })()`);
}

/** <html data-theme>, as the theme switch sets it. */
function theme(page: Page): Promise<string | undefined> {
  return page.evaluate('document.documentElement.dataset.theme');
}

/** The browser logs refused requests (401 before the login, the presence polls this test cuts) on its console. */
function unexpected(errors: string[]): string[] {
  return errors.filter((text) => !/status of 401\b|Failed to load resource: net::ERR_FAILED/.test(text));
}

describe.skipIf(!HAS_CHROMIUM)(`operator console in the dashboard${CHROMIUM_SKIP_NOTE}`, () => {
  // Channel events for what the engine asks of it: a routed call's member rings and answers as on a real Asterisk.
  const asterisk = new FakeAsterisk({ emitChannelEvents: true });
  let engine: EngineUnderTest;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    // The phones as Asterisk lists them when the engine connects: 101 registered and free, 102 offline.
    asterisk.setEndpoints([
      { technology: 'PJSIP', resource: 'acme-101', state: 'online', channel_ids: [] },
      { technology: 'PJSIP', resource: 'acme-102', state: 'offline', channel_ids: [] },
    ]);
    const { url } = await asterisk.start();
    await buildDashboard();
    engine = await startEngine({
      SIMULATOR: 'off',
      ARI_SERVERS: JSON.stringify([{ name: 'pbx', url, username: 'test', password: 'test', app: 'callflow' }]),
    });
    await asterisk.waitForConnection(1, 20_000);
    const made = await fetch(`${engine.baseUrl}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...OPERATOR, role: 'operator' }),
    });
    expect(made.status).toBe(201);
    const operator = await apiSession(engine.baseUrl, OPERATOR);
    const tenant = await operator<{ id: string }>('POST', '/api/tenants', { name: 'Acme Corp', slug: 'acme', timezone: 'Europe/Berlin' });
    expect(tenant.status).toBe(201);
    expect((await operator('POST', '/api/users', { ...OWNER, role: 'owner' }, tenant.body.id)).status).toBe(201);
    expect((await operator('POST', `/api/tenants/${tenant.body.id}/numbers`, { number: NUMBER, label: 'Main line' })).status).toBe(201);
    const owner = await apiSession(engine.baseUrl, OWNER);
    const ids: string[] = [];
    for (const [number, name] of [['101', 'Alice'], ['102', 'Bob']] as const) {
      const created = await owner<{ id: string; endpoint: string }>('POST', '/api/routing/extensions', { number, name });
      expect(created.status).toBe(201);
      expect(created.body.endpoint).toBe(`acme-${number}`);
      ids.push(created.body.id);
    }
    const group = await owner<{ id: string }>('POST', '/api/routing/ring-groups', { name: 'Sales', number: '600', members: ids.map((extensionId) => ({ extensionId })) });
    expect(group.status).toBe(201);
    expect((await owner('PUT', `/api/routing/numbers/${encodeURIComponent(NUMBER)}`, { destination: { type: 'ring-group', id: group.body.id }, record: true })).status).toBe(200);
    browser = await launchChromium();
    ({ page, errors } = await openPage(browser));
    await logIn(page, engine.baseUrl, OWNER);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
    await asterisk.stop();
  });

  it('shows each phone and ring group as Asterisk reports them, and follows a device state change within a poll', async () => {
    await page.click('nav[aria-label="Views"] >> text=Console');
    await page.waitForSelector('#console-title');
    await tile(page, '101').and(page.locator('[data-state="idle"]')).waitFor({ timeout: 10_000 });
    expect(await tile(page, '101').locator('[data-testid="presence-state"]').textContent()).toBe('Idle');
    expect(await tile(page, '101').textContent()).toContain('Alice');
    expect(await tile(page, '102').getAttribute('data-state')).toBe('unavailable');
    expect(await tile(page, '102').locator('[data-testid="presence-state"]').textContent()).toBe('Unavailable');
    expect(await groupCount(page, 'Sales', 'idle').textContent()).toBe('1');
    expect(await groupCount(page, 'Sales', 'unavailable').textContent()).toBe('1');
    expect(await page.locator('[data-ring-group="Sales"] [data-member="102"]').getAttribute('data-state')).toBe('unavailable');
    // The owner may read calls: the live calls panel is there (no calls now).
    await page.locator('[data-testid="console-calls"]').waitFor({ state: 'attached' });

    // 101 picks up a call of its own: Asterisk says so over the events socket.
    const changedAt = Date.now();
    asterisk.sendDeviceState('PJSIP/acme-101', 'INUSE');
    await tile(page, '101').and(page.locator('[data-state="in-call"]')).waitFor({ timeout: 6_000 });
    expect(Date.now() - changedAt).toBeLessThan(6_000);
    expect(await tile(page, '101').locator('[data-testid="presence-state"]').textContent()).toBe('In a call');
    expect(await tile(page, '101').locator('.tile-since').textContent()).toMatch(/^for \d+:\d\d$/);
    await groupCount(page, 'Sales', 'in-call').waitFor();
    expect(await groupCount(page, 'Sales', 'in-call').textContent()).toBe('1');
    expect(await groupCount(page, 'Sales', 'idle').textContent()).toBe('0');
    await screenshot(page, 'console-board');

    // The engine stops answering: the last board stays, with a clear note; when it answers again, the note goes.
    await page.route('**/api/routing/presence', (route) => route.abort());
    await page.waitForSelector('[data-testid="presence-error"]', { timeout: 6_000 });
    expect(await tile(page, '101').getAttribute('data-state')).toBe('in-call');
    await page.unroute('**/api/routing/presence');
    await page.waitForSelector('[data-testid="presence-error"]', { state: 'detached', timeout: 6_000 });

    // 101 hangs up: idle again, and the group counts it so.
    asterisk.sendDeviceState('PJSIP/acme-101', 'NOT_INUSE');
    await tile(page, '101').and(page.locator('[data-state="idle"]')).waitFor({ timeout: 6_000 });
    await groupCount(page, 'Sales', 'idle').and(page.locator('text=1')).waitFor({ timeout: 6_000 });
    expect(await groupCount(page, 'Sales', 'in-call').count()).toBe(0);
    expect(unexpected(errors)).toEqual([]);
  });

  it('shows a routed call with its caller, its path and who answered, in the console, the live page and its own page', async () => {
    await page.goto(`${engine.baseUrl}/#/console`);
    await page.waitForSelector('[data-testid="console-calls"]', { state: 'attached' });
    await page.waitForSelector('.connection[data-connection="open"]');
    // A call from the trunk to the tenant's number enters the engine's routing: number → ring group Sales.
    const caller = {
      id: 'trunk-call-1',
      name: 'PJSIP/trunk-00000001',
      state: 'Ring',
      protocol_id: '',
      caller: { name: 'Erika Muster', number: '+4915112345678' },
      connected: { name: '', number: '' },
      accountcode: '',
      dialplan: { context: 'from-trunk', exten: NUMBER, priority: 1, app_name: 'Stasis', app_data: 'callflow,route' },
      creationtime: asteriskTimestamp(),
      language: 'en',
    };
    asterisk.channels.set(caller.id, caller);
    const timestamp = caller.creationtime;
    asterisk.send({ type: 'ChannelCreated', timestamp, channel: caller, application: 'callflow' });
    asterisk.send({ type: 'StasisStart', timestamp, args: ['route'], channel: caller, application: 'callflow' });
    // The group rings its members; 101 answers (its channel enters the app as a member, with the runtime's arguments).
    const deadline = Date.now() + 10_000;
    let member: { id: string } | undefined;
    while (!member && Date.now() < deadline) {
      member = [...asterisk.channels.values()].find((channel) => channel.name.startsWith('PJSIP/acme-101'));
      if (!member) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(member, 'the engine rang PJSIP/acme-101').toBeDefined();
    const originated = asterisk.requests.find((r) => r.method === 'POST' && r.path === '/ari/channels' && r.query.endpoint === 'PJSIP/acme-101');
    const appArgs = originated?.query.appArgs ?? (originated?.body as { appArgs?: string } | null)?.appArgs ?? 'member';
    const answered = { ...asterisk.channels.get(member!.id)!, state: 'Up' };
    asterisk.send({ type: 'ChannelStateChange', timestamp: asteriskTimestamp(), channel: answered, application: 'callflow' });
    asterisk.send({ type: 'StasisStart', timestamp: asteriskTimestamp(), args: appArgs.split(','), channel: answered, application: 'callflow' });

    const row = page.locator(`.console-call[data-call-id="${caller.id}"]`);
    await row.locator('[data-testid="answered-by"]', { hasText: 'answered by 101' }).waitFor({ timeout: 10_000 });
    expect(await row.locator('.cc-caller').textContent()).toContain('Erika Muster');
    expect(await row.locator('.cc-caller').textContent()).toContain('+4915112345678');
    const routeText = (await row.locator('[data-testid="call-route"]').textContent()) ?? '';
    expect(routeText).toContain('answered by 101');
    // The engine's own flow put 101 on the call: its tile says so within a poll.
    await tile(page, '101').and(page.locator('[data-state="in-call"]')).waitFor({ timeout: 6_000 });
    await screenshot(page, 'console-routed-call');

    await page.goto(`${engine.baseUrl}/#/`);
    const liveRoute = page.locator(`.live-row[data-call-id="${caller.id}"] [data-testid="live-route"]`);
    await liveRoute.waitFor();
    expect(await liveRoute.textContent()).toContain('answered by 101');

    await page.goto(`${engine.baseUrl}/#/calls/${caller.id}`);
    await page.waitForSelector('[data-testid="call-route"] .route-list li');
    const steps = await page.locator('[data-testid="call-route"] .route-list li').allTextContents();
    expect(steps[0]).toContain(NUMBER);
    expect(steps[0]).toContain('Sales');
    expect(steps.at(-1)).toContain('answered by 101');
    expect(await page.locator('[data-testid="call-route"] [data-testid="answered-by"]').textContent()).toBe('answered by 101');

    // The number records its calls: the bridge is recorded; once Asterisk has the file, the call page plays it.
    const [recordingName] = [...asterisk.rest.liveRecordings.keys()];
    expect(recordingName, 'the engine recorded the bridge').toBeDefined();
    expect(await page.locator('[data-testid="call-route"] [data-testid="route-recorded"]').textContent()).toContain('recorded');
    const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(8_040)]);
    asterisk.send(asterisk.rest.finishRecording(recordingName!, wav, 42));
    await page.reload();
    const recording = page.locator('[data-testid="call-recordings"] .recording-item');
    await recording.waitFor({ timeout: 10_000 });
    expect(await recording.textContent()).toContain('0:42');
    const src = await recording.locator('audio').getAttribute('src');
    const audio = await page.evaluate(async (url) => {
      const response = await fetch(url!);
      return { status: response.status, type: response.headers.get('content-type'), bytes: (await response.arrayBuffer()).byteLength };
    }, src);
    expect(audio).toEqual({ status: 200, type: 'audio/wav', bytes: wav.length });
    // The owner deletes it: gone from the page and from the PBX.
    page.once('dialog', (dialog) => void dialog.accept());
    await recording.getByRole('button', { name: 'Delete' }).click();
    await page.locator('[data-testid="call-recordings"]').waitFor({ state: 'detached', timeout: 10_000 });
    expect(asterisk.rest.storedRecordings.has(recordingName!)).toBe(false);
  });

  it('polls one request at a time, and not at all while the tab is hidden', async () => {
    await page.goto(`${engine.baseUrl}/#/console`);
    await tile(page, '101').waitFor();
    // A slow engine: each answer takes 3 s. The console waits for it rather than asking again every 2 s.
    let inFlight = 0;
    let most = 0;
    let asked = 0;
    await page.route('**/api/routing/presence', async (route) => {
      asked++;
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      inFlight--;
      await route.continue().catch(() => undefined);
    });
    await page.waitForTimeout(7_000);
    await page.unroute('**/api/routing/presence');
    expect(asked).toBeGreaterThanOrEqual(1);
    expect(most).toBe(1);

    // Hidden (another tab in front): no polls; shown again: a poll at once.
    const seen: number[] = [];
    const onRequest = (request: { url(): string }) => {
      if (request.url().includes('/api/routing/presence')) seen.push(Date.now());
    };
    await page.waitForTimeout(3_500);
    await page.evaluate(`(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    })()`);
    await page.waitForTimeout(500);
    page.on('request', onRequest);
    await page.waitForTimeout(4_500);
    expect(seen).toEqual([]);
    const shownAt = Date.now();
    await page.evaluate(`(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
      document.dispatchEvent(new Event('visibilitychange'));
    })()`);
    await page.waitForTimeout(1_000);
    page.off('request', onRequest);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen[0]! - shownAt).toBeLessThan(1_000);
  });

  it('opens the wall board without the navigation, with large tiles, and leaves it again', async () => {
    await page.goto(`${engine.baseUrl}/#/console`);
    await page.click('[data-testid="wall-open"]');
    await page.waitForSelector('.console-view[data-wall="true"]');
    expect(await page.locator('.topbar').count()).toBe(0);
    expect(await page.locator('nav[aria-label="Views"]').count()).toBe(0);
    await tile(page, '101').waitFor();
    const numberSize = Number(
      await page.evaluate(`parseFloat(getComputedStyle(document.querySelector('.presence-tile[data-extension="101"] .tile-number')).fontSize)`),
    );
    expect(numberSize).toBeGreaterThanOrEqual(32);
    await screenshot(page, 'console-wall');
    await page.click('[data-testid="wall-exit"]');
    await page.waitForSelector('.topbar nav[aria-label="Views"]');
    expect(await page.locator('.console-view[data-wall="true"]').count()).toBe(0);
  });

  it('switches the dashboard to dark, keeps it across a reload, and keeps text readable', async () => {
    await page.goto(`${engine.baseUrl}/#/console`);
    await tile(page, '101').waitFor();
    await page.selectOption('[data-testid="theme-switch"]', 'dark');
    expect(await theme(page)).toBe('dark');
    await page.reload();
    await tile(page, '101').waitFor();
    expect(await theme(page)).toBe('dark');
    expect(await page.inputValue('[data-testid="theme-switch"]')).toBe('dark');

    const body = await paintedColours(page, 'body');
    expect(contrastRatio(body.color, body.background)).toBeGreaterThanOrEqual(7);
    // The page really is dark, not light text on light.
    expect(contrastRatio(body.background, 'rgb(0, 0, 0)')).toBeLessThan(2);
    for (const selector of ['#console-title', '.panel h2', '.tile-name', '.presence-tile[data-extension="101"] [data-testid="presence-state"]', '.presence-tile[data-extension="102"] [data-testid="presence-state"]', '.head-actions .muted']) {
      const { color, background } = await paintedColours(page, selector);
      expect({ selector, ok: contrastRatio(color, background) >= 4.5 }).toEqual({ selector, ok: true });
    }
    await screenshot(page, 'console-dark');

    // Back to light, then "System" follows the browser's preference.
    await page.selectOption('[data-testid="theme-switch"]', 'light');
    expect(await theme(page)).toBe('light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.selectOption('[data-testid="theme-switch"]', 'system');
    expect(await theme(page)).toBe('dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForSelector('html[data-theme="light"]', { state: 'attached' });
  });

  it('fits a phone: console and wall board without horizontal overflow, in both themes', async () => {
    const phone = await openPage(browser, PHONE);
    await logIn(phone.page, engine.baseUrl, OWNER);
    for (const theme of ['light', 'dark'] as const) {
      await phone.page.selectOption('[data-testid="theme-switch"]', theme);
      for (const hash of ['#/console', '#/console?wall=1', '#/']) {
        await phone.page.goto(`${engine.baseUrl}/${hash}`);
        if (hash.startsWith('#/console')) await tile(phone.page, '102').waitFor();
        else await phone.page.waitForSelector('#live-title');
        expect({ theme, hash, overflowPx: await horizontalOverflowPx(phone.page) }).toEqual({ theme, hash, overflowPx: 0 });
      }
    }
    await screenshot(phone.page, 'console-phone-dark');
    await phone.page.context().close();
  });
});
