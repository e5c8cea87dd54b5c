import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

// Call routing in the dashboard against a real engine (issue 19): the operator gives a tenant a number over the
// API; its owner builds voicemail, extensions, a ring group and an IVR menu in the browser, routes the number
// to the menu, sees the menu drawn as a graph, is told in words why an extension in use cannot be deleted,
// and edits a schedule (a range past midnight, a dated exception). A reporter sees the same pages read-only.

const OPERATOR = { email: 'root@example.test', name: 'Root Operator', password: 'correct horse battery' };
const OWNER = { email: 'owner@acme.test', name: 'Olga Owner', password: 'owner password 1' };
const REPORTER = { email: 'rep@acme.test', name: 'Rita Reporter', password: 'reporter password 1' };
const NUMBER = '+4930123456';


/** The browser reports refused requests (401 before a login, the 409s and 422 asked for) on its console; nothing else. */
function unexpected(errors: string[]): string[] {
  return errors.filter((text) => !/status of (401|409|422)\b/.test(text));
}

async function logIn(page: Page, baseUrl: string, who: { email: string; password: string }): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('[data-testid="login-form"]');
  await page.fill('input[name="email"]', who.email);
  await page.fill('input[name="password"]', who.password);
  await page.click('[data-testid="login-form"] button[type="submit"]');
  await page.waitForSelector('.topbar [data-testid="account-chip"]');
}

async function logOut(page: Page): Promise<void> {
  await page.click('[data-testid="logout"]');
  await page.waitForSelector('[data-testid="login-form"]');
}

async function openRouting(page: Page, baseUrl: string, name: string): Promise<void> {
  await page.goto(`${baseUrl}/#/routing/${name}`);
  await page.waitForSelector('#routing-page-title');
}

/** Submits the open form and waits for the engine's answer with the status wanted. */
async function submit(page: Page, form: ReturnType<Page['locator']>, method: string, status: number): Promise<void> {
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/routing/') && r.request().method() === method && r.status() === status),
    form.locator('button[type="submit"]').click(),
  ]);
}

function row(page: Page, name: string) {
  return page.locator(`[data-routing-name="${name}"]`);
}

describe.skipIf(!HAS_CHROMIUM)(`routing in the dashboard${CHROMIUM_SKIP_NOTE}`, () => {
  let engine: EngineUnderTest;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let owner: Awaited<ReturnType<typeof apiSession>>;

  beforeAll(async () => {
    await buildDashboard();
    engine = await startEngine({ SIMULATOR: 'off' });
    // While the engine is open, the first account is made over the API from this (loopback) address.
    const made = await fetch(`${engine.baseUrl}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...OPERATOR, role: 'operator' }),
    });
    expect(made.status).toBe(201);
    const operator = await apiSession(engine.baseUrl, OPERATOR);
    const tenant = await operator<{ id: string }>('POST', '/api/tenants', { name: 'Acme Corp', slug: 'acme', timezone: 'Europe/Berlin' });
    expect(tenant.status).toBe(201);
    const tenantId = tenant.body.id;
    expect((await operator('POST', `/api/tenants/${tenantId}/numbers`, { number: NUMBER, label: 'Main line' })).status).toBe(201);
    for (const [who, role] of [[OWNER, 'owner'], [REPORTER, 'reporter']] as const) {
      expect((await operator('POST', '/api/users', { ...who, role }, tenantId)).status).toBe(201);
    }
    owner = await apiSession(engine.baseUrl, OWNER);
    browser = await launchChromium();
    ({ page, errors } = await openPage(browser));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
  });

  it('lets the owner build voicemail, extensions, a ring group and an IVR menu, and route the number to it', async () => {
    await logIn(page, engine.baseUrl, OWNER);
    await page.click('nav[aria-label="Views"] >> text=Routing');
    await page.waitForSelector('[data-number="+4930123456"]');
    expect(await page.locator('[data-number="+4930123456"] [data-testid="number-destination"]').textContent()).toBe('→ not routed');

    // A voicemail box with a PIN: the PIN is never shown, only that there is one.
    await openRouting(page, engine.baseUrl, 'voicemail');
    await page.click('text=New voicemail box');
    let form = page.locator('[data-testid="routing-create"] form');
    await form.locator('input[name="number"]').fill('201');
    await form.locator('input[name="name"]').fill('Alice box');
    await form.locator('input[name="pin"]').fill('4711');
    await submit(page, form, 'POST', 201);
    await row(page, 'Alice box').waitFor();
    expect(await row(page, 'Alice box').textContent()).toContain('PIN set');
    await row(page, 'Alice box').locator('text=Inbox').click();
    await row(page, 'Alice box').locator('[data-testid="voicemail-inbox"] >> text=No messages.').waitFor();

    // Two extensions; the first with the box.
    await openRouting(page, engine.baseUrl, 'extensions');
    for (const [number, name] of [['201', 'Alice'], ['202', 'Bob']] as const) {
      await page.click('text=New extension');
      form = page.locator('[data-testid="routing-create"] form');
      await form.locator('input[name="number"]').fill(number);
      await form.locator('input[name="name"]').fill(name);
      if (number === '201') await form.locator('select[name="voicemailBoxId"]').selectOption({ label: '201 Alice box' });
      await submit(page, form, 'POST', 201);
      await row(page, name).waitFor();
      // The SIP password, when the engine makes one, is shown once and goes when dismissed.
      if ((await page.locator('[data-testid="sip-password"]').count()) > 0) {
        expect(await page.locator('[data-testid="sip-password"]').textContent()).toContain('will not be shown again');
        await page.click('text=I have stored it');
        await page.locator('[data-testid="sip-password"]').waitFor({ state: 'detached' });
      }
    }
    expect(await row(page, 'Alice').textContent()).toContain('voicemail: Voicemail box 201 Alice box');

    // A bad number is refused with the field named, next to the form.
    await page.click('text=New extension');
    form = page.locator('[data-testid="routing-create"] form');
    await form.locator('input[name="number"]').fill('201');
    await form.locator('input[name="name"]').fill('Alice again');
    await submit(page, form, 'POST', 409);
    expect(await page.locator('[data-testid="routing-create"] [data-testid="routing-error"]').textContent()).toBe('Not saved: another extension of the tenant has this number.');
    await form.locator('text=Cancel').click();

    // A ring group: members in order (Bob moved first), fallback to Alice's voicemail.
    await openRouting(page, engine.baseUrl, 'ring-groups');
    await page.click('text=New ring group');
    form = page.locator('[data-testid="routing-create"] form');
    await form.locator('input[name="name"]').fill('Sales');
    await form.locator('select[name="strategy"]').selectOption('sequential');
    for (const label of ['201 Alice', '202 Bob']) {
      await form.locator('select[aria-label="Extension to add"]').selectOption({ label });
      await form.locator('text=Add member').click();
    }
    await form.locator('button[aria-label="Move 202 Bob up"]').click();
    expect(await form.locator('.member-name').allTextContents()).toEqual(['202 Bob', '201 Alice']);
    await form.locator('select[aria-label="Fallback type"]').selectOption('voicemail');
    await form.locator('select[aria-label="Fallback target"]').selectOption({ label: '201 Alice box' });
    await submit(page, form, 'POST', 201);
    await row(page, 'Sales').waitFor();
    expect(await row(page, 'Sales').textContent()).toContain('members: 202 Bob, 201 Alice');

    // An IVR menu: 1 → Sales, 2 → Bob, failover to Alice's voicemail; drawn as a graph.
    await openRouting(page, engine.baseUrl, 'ivr-menus');
    await page.click('text=New IVR menu');
    form = page.locator('[data-testid="routing-create"] form');
    await form.locator('input[name="name"]').fill('Main menu');
    await form.locator('textarea[name="prompt"]').fill('For sales press 1, for Bob press 2.');
    await form.locator('select[aria-label="Key 1 type"]').selectOption('ring-group');
    await form.locator('select[aria-label="Key 2 type"]').selectOption('extension');
    await form.locator('select[aria-label="Key 2 target"]').selectOption({ label: '202 Bob' });
    await form.locator('select[aria-label="Failover type"]').selectOption('voicemail');
    await submit(page, form, 'POST', 201);
    const graph = row(page, 'Main menu').locator('[data-testid="ivr-graph"]');
    await graph.waitFor();
    const edges = await graph.locator('g.ivr-edge').evaluateAll((groups) => groups.map((g) => g.textContent));
    expect(edges).toEqual(['key 1Ring group Sales', 'key 2Extension 202 Bob', 'elseVoicemail box 201 Alice box']);
    await screenshot(page, 'routing-ivr-graph');

    // The number goes to the menu.
    await openRouting(page, engine.baseUrl, 'numbers');
    const numberRow = page.locator(`[data-number="${NUMBER}"]`);
    await numberRow.locator('text=Change destination').click();
    await numberRow.locator(`select[aria-label="Destination of ${NUMBER} type"]`).selectOption('ivr');
    await numberRow.locator('input[name="record"]').check();
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/routing/numbers/') && r.request().method() === 'PUT' && r.status() === 200),
      numberRow.locator('button[type="submit"]').click(),
    ]);
    await page.waitForSelector(`[data-number="${NUMBER}"] [data-testid="number-destination"] >> text=→ IVR menu Main menu`);
    expect(await numberRow.textContent()).toContain('recorded');

    // What the engine stored.
    const extensions = (await owner<{ items: { id: string; number: string; voicemailBoxId: string | null }[] }>('GET', '/api/routing/extensions')).body.items;
    const boxes = (await owner<{ items: { id: string; hasPin: boolean }[] }>('GET', '/api/routing/voicemail-boxes')).body.items;
    const groups = (await owner<{ items: { id: string; strategy: string; members: { extensionId: string }[]; fallback: unknown }[] }>('GET', '/api/routing/ring-groups')).body.items;
    const menus = (await owner<{ items: { id: string; options: Record<string, unknown>; failover: unknown; prompt: unknown }[] }>('GET', '/api/routing/ivr-menus')).body.items;
    const numbers = (await owner<{ items: { number: string; destination: unknown; record: boolean }[] }>('GET', '/api/routing/numbers')).body.items;
    const alice = extensions.find((e) => e.number === '201')!;
    const bob = extensions.find((e) => e.number === '202')!;
    expect(extensions).toHaveLength(2);
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.hasPin).toBe(true);
    expect(alice.voicemailBoxId).toBe(boxes[0]!.id);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.strategy).toBe('sequential');
    expect(groups[0]!.members.map((m) => m.extensionId)).toEqual([bob.id, alice.id]);
    expect(groups[0]!.fallback).toEqual({ type: 'voicemail', id: boxes[0]!.id });
    expect(menus[0]!.prompt).toEqual({ kind: 'text', text: 'For sales press 1, for Bob press 2.' });
    expect(menus[0]!.options).toEqual({ '1': { type: 'ring-group', id: groups[0]!.id }, '2': { type: 'extension', id: bob.id } });
    expect(menus[0]!.failover).toEqual({ type: 'voicemail', id: boxes[0]!.id });
    expect(numbers).toEqual([expect.objectContaining({ number: NUMBER, destination: { type: 'ivr', id: menus[0]!.id }, record: true })]);
    expect(unexpected(errors)).toEqual([]);
  }, 120_000);

  it('says in words why an extension in use cannot be deleted', async () => {
    await openRouting(page, engine.baseUrl, 'extensions');
    const bob = row(page, 'Bob');
    await bob.locator('button:has-text("Delete")').click();
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/routing/extensions/') && r.request().method() === 'DELETE' && r.status() === 409),
      bob.locator('text=Yes, delete').click(),
    ]);
    const error = bob.locator('[data-testid="routing-error"]');
    await error.waitFor();
    const text = (await error.textContent()) ?? '';
    expect(text).toContain('Still in use, so it cannot be deleted.');
    expect(text).toContain('IVR menu Main menu (key 2)');
    expect(text).toContain('Ring group Sales (members)');
    await screenshot(page, 'routing-in-use');
    expect((await owner<{ items: unknown[] }>('GET', '/api/routing/extensions')).body.items).toHaveLength(2);
    expect(unexpected(errors)).toEqual([]);
  }, 60_000);

  it('edits a schedule: a range past midnight and a dated exception', async () => {
    await openRouting(page, engine.baseUrl, 'schedules');
    await page.click('text=New schedule');
    let form = page.locator('[data-testid="routing-create"] form');
    await form.locator('input[name="name"]').fill('Office hours');
    expect(await form.locator('input[name="timezone"]').getAttribute('placeholder')).toBe('Europe/Berlin');
    await form.locator('button[aria-label="Add range on Monday"]').click();
    await form.locator('select[aria-label="While open type"]').selectOption('ivr');
    await form.locator('select[aria-label="While closed type"]').selectOption('voicemail');
    await submit(page, form, 'POST', 201);
    const schedule = row(page, 'Office hours');
    await schedule.waitFor();
    expect(await schedule.locator('[data-testid="schedule-week"]').textContent()).toBe('Mon 09:00–17:00');

    await schedule.locator('button:has-text("Edit")').click();
    form = schedule.locator('form[data-testid="routing-form"]');
    await form.locator('button[aria-label="Add range on Friday"]').click();
    await form.locator('input[aria-label="Friday range 1 from"]').fill('22:00');
    await form.locator('input[aria-label="Friday range 1 to"]').fill('02:00');
    await form.locator('[data-day="5"] >> text=ends next day').waitFor();
    // Drawn on Friday to midnight and carried into Saturday.
    expect(await form.locator('[data-day="6"] .week-open.carried').count()).toBe(1);
    await form.locator('text=Add exception').click();
    await form.locator('input[aria-label="Exception 1 date"]').fill('2026-12-25');
    await form.locator('input[aria-label="Exception 1 name"]').fill('Christmas');
    await form.locator('text=Add exception').click();
    await form.locator('input[aria-label="Exception 2 date"]').fill('2026-12-24');
    await form.locator('input[aria-label="Exception 2 closed all day"]').uncheck();
    await form.locator('button[aria-label="Add hours to Exception 2"]').click();
    await form.locator('input[aria-label="Exception 2 range 1 to"]').fill('12:00');
    await screenshot(page, 'routing-schedule-edit');
    await submit(page, form, 'PUT', 200);
    await page.waitForSelector('[data-routing-name="Office hours"] [data-testid="schedule-week"] >> text=Mon 09:00–17:00, Fri 22:00–02:00');
    expect(await row(page, 'Office hours').textContent()).toContain('2026-12-25 Christmas closed');

    const stored = (await owner<{ items: { timezone: string | null; weekly: unknown; exceptions: unknown; open: { type: string }; closed: { type: string } }[] }>('GET', '/api/routing/schedules')).body.items;
    expect(stored).toHaveLength(1);
    expect(stored[0]!.timezone).toBeNull();
    expect(stored[0]!.weekly).toEqual([
      { day: 1, from: '09:00', to: '17:00' },
      { day: 5, from: '22:00', to: '02:00' },
    ]);
    expect(stored[0]!.exceptions).toEqual([
      { date: '2026-12-25', name: 'Christmas', closed: true, ranges: [] },
      { date: '2026-12-24', name: '', closed: false, ranges: [{ from: '10:00', to: '12:00' }] },
    ]);
    expect(stored[0]!.open.type).toBe('ivr');
    expect(stored[0]!.closed.type).toBe('voicemail');
    await logOut(page);
    expect(unexpected(errors)).toEqual([]);
  }, 60_000);

  it('refuses an announcement that would loop forever, in words, and deletes it', async () => {
    await logIn(page, engine.baseUrl, OWNER);
    await openRouting(page, engine.baseUrl, 'announcements');
    await page.click('text=New announcement');
    let form = page.locator('[data-testid="routing-create"] form');
    await form.locator('input[name="name"]').fill('Welcome');
    await form.locator('textarea[name="prompt"]').fill('Welcome to Acme.');
    await submit(page, form, 'POST', 201);
    const welcome = row(page, 'Welcome');
    await welcome.waitFor();
    expect(await welcome.textContent()).toContain('then → Hang up');

    // Its own next: a call could never leave, so the engine refuses it (422) and the form says why.
    await welcome.locator('button:has-text("Edit")').click();
    form = welcome.locator('form[data-testid="routing-form"]');
    await form.locator('select[aria-label="Next type"]').selectOption('announcement');
    await submit(page, form, 'PUT', 422);
    const error = welcome.locator('[data-testid="routing-error"]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^Not saved: a call would go round forever/);
    await form.locator('text=Cancel').click();

    await welcome.locator('button:has-text("Delete")').click();
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/routing/announcements/') && r.request().method() === 'DELETE' && r.status() === 204),
      welcome.locator('text=Yes, delete').click(),
    ]);
    await page.waitForSelector('.routing-page .page-state.empty >> text=No announcements yet.');
    expect((await owner<{ items: unknown[] }>('GET', '/api/routing/announcements')).body.items).toEqual([]);
    await logOut(page);
    expect(unexpected(errors)).toEqual([]);
  }, 60_000);

  it('fits a phone: no sideways scrolling on the routing pages', async () => {
    const phone = await openPage(browser, { width: 390, height: 844 });
    await logIn(phone.page, engine.baseUrl, OWNER);
    for (const name of ['numbers', 'extensions', 'ring-groups', 'ivr-menus', 'schedules', 'voicemail', 'conferences', 'announcements']) {
      await openRouting(phone.page, engine.baseUrl, name);
      if (name !== 'numbers') {
        // With the create form open: its pickers and the week grid have to fit too.
        await phone.page.locator('.routing-page-head button').click();
        await phone.page.waitForSelector('[data-testid="routing-create"]');
      }
      expect(await horizontalOverflowPx(phone.page), name).toBe(0);
    }
    await screenshot(phone.page, 'routing-phone-announcements');
    expect(unexpected(phone.errors)).toEqual([]);
    await phone.page.context().close();
  }, 60_000);

  it('shows a reporter the routing pages read-only', async () => {
    await logIn(page, engine.baseUrl, REPORTER);
    expect(await page.locator('nav[aria-label="Views"] a').allTextContents()).toContain('Routing');
    await openRouting(page, engine.baseUrl, 'numbers');
    await page.waitForSelector(`[data-number="${NUMBER}"] >> text=→ IVR menu Main menu`);
    expect(await page.locator('[data-testid="read-only"]').count()).toBe(1);
    expect(await page.locator('text=Change destination').count()).toBe(0);
    for (const [name, shown] of [
      ['extensions', 'Alice'],
      ['ring-groups', 'Sales'],
      ['ivr-menus', 'Main menu'],
      ['schedules', 'Office hours'],
      ['voicemail', 'Alice box'],
      ['conferences', null],
      ['announcements', null],
    ] as const) {
      await openRouting(page, engine.baseUrl, name);
      if (shown) await row(page, shown).waitFor();
      else await page.waitForSelector('.routing-page .page-state.empty');
      expect(await page.locator('.routing-page-head button').count(), name).toBe(0);
      expect(await page.locator('.routing-row button:has-text("Edit"), .routing-row button:has-text("Delete")').count(), name).toBe(0);
    }
    await openRouting(page, engine.baseUrl, 'ivr-menus');
    expect(await row(page, 'Main menu').locator('[data-testid="ivr-graph"]').textContent()).toContain('Ring group Sales');
    await screenshot(page, 'routing-reporter');
    await logOut(page);
    expect(unexpected(errors)).toEqual([]);
  }, 60_000);
});
