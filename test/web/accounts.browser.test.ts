import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM_SKIP_NOTE,
  HAS_CHROMIUM,
  buildDashboard,
  horizontalOverflowPx,
  launchChromium,
  openPage,
  screenshot,
  startEngine,
  type EngineUnderTest,
} from './support/dashboard-harness.ts';

// Accounts in the dashboard against a real engine: open until the first operator account is created from
// the dashboard itself, then e-mail and password; an operator makes a tenant and its owner; the owner makes
// and revokes a key and reads the audit log; a reporter sees no management pages.

const PHONE = { width: 390, height: 844 };
const OPERATOR = { email: 'root@example.test', name: 'Root Operator', password: 'correct horse battery' };
const OWNER = { email: 'owner@acme.test', name: 'Olga Owner', password: 'owner password 1' };
const REPORTER = { email: 'rep@acme.test', name: 'Rita Reporter', password: 'reporter password 1' };

/** The browser reports refused requests (401 before a login) on its console; nothing else may appear there. */
function unexpected(errors: string[]): string[] {
  return errors.filter((text) => !/401/.test(text));
}

async function navLabels(page: Page): Promise<string[]> {
  return (await page.locator('nav[aria-label="Views"] a').allTextContents()).map((text) => text.replace(/\d+$/, '').trim());
}

async function logIn(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.waitForSelector('[data-testid="login-form"]');
  await page.fill('input[name="email"]', who.email);
  await page.fill('input[name="password"]', who.password);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/session') && r.request().method() === 'POST'),
    page.click('[data-testid="login-form"] button[type="submit"]'),
  ]);
  await page.waitForSelector('.topbar [data-testid="account-chip"]');
}

async function logOut(page: Page): Promise<void> {
  await page.click('[data-testid="logout"]');
  await page.waitForSelector('[data-testid="login-form"]');
}

async function createUser(page: Page, who: { email: string; name: string; password: string }, role: string): Promise<void> {
  await page.goto(`${page.url().split('#')[0]}#/users`);
  const form = page.locator('[data-testid="create-user"]');
  await form.locator('input[name="email"]').fill(who.email);
  await form.locator('input[name="name"]').fill(who.name);
  await form.locator('select[name="role"]').selectOption(role);
  await form.locator('input[name="password"]').fill(who.password);
  await form.locator('button[type="submit"]').click();
  await page.waitForSelector(`[data-user-email="${who.email}"]`);
}

describe.skipIf(!HAS_CHROMIUM)(`accounts in the dashboard${CHROMIUM_SKIP_NOTE}`, () => {
  let engine: EngineUnderTest;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    await buildDashboard();
    engine = await startEngine({ SIMULATOR: 'off' });
    browser = await launchChromium();
    ({ page, errors } = await openPage(browser));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
  });

  it('works without a login while the engine is open, and offers to create the first operator account', async () => {
    await page.goto(`${engine.baseUrl}/`);
    await page.waitForSelector('[data-connection="open"]');
    await page.waitForSelector('[data-testid="open-banner"]');
    expect(await page.locator('.login-page').count()).toBe(0);
    expect(await navLabels(page)).toEqual(['Live', 'History', 'Statistics', 'Console', 'Health', 'Routing', 'Users', 'API keys', 'CRM', 'Audit log', 'Tenants']);

    await page.click('text=Create the first operator account');
    const form = page.locator('form[aria-label="First operator account"]');
    await form.locator('input[name="email"]').fill(OPERATOR.email);
    await form.locator('input[name="name"]').fill(OPERATOR.name);
    await form.locator('input[name="password"]').fill(OPERATOR.password);
    await screenshot(page, 'accounts-first-operator');
    await form.locator('button[type="submit"]').click();
    // The engine is closed now: the login page replaces the dashboard.
    await page.waitForSelector('[data-testid="login-form"]');
    expect(await page.locator('.topbar').count()).toBe(0);
    expect(unexpected(errors)).toEqual([]);
  }, 60_000);

  it('says so when the password is wrong', async () => {
    await page.fill('input[name="email"]', OPERATOR.email);
    await page.fill('input[name="password"]', 'wrong horse battery');
    await page.click('[data-testid="login-form"] button[type="submit"]');
    await page.waitForSelector('[data-testid="login-error"]');
    expect(await page.locator('[data-testid="login-error"]').textContent()).toBe('E-mail or password not recognised.');
    await screenshot(page, 'accounts-login-failed');
  }, 30_000);

  it('logs the operator in, creates a tenant, switches to it and creates its owner', async () => {
    await logIn(page, OPERATOR);
    expect(await page.locator('[data-testid="account-chip"]').textContent()).toContain(OPERATOR.name);
    expect(await page.locator('[data-testid="open-banner"]').count()).toBe(0);

    await page.goto(`${engine.baseUrl}/#/tenants`);
    await page.waitForSelector('[data-tenant-slug="default"]');
    const form = page.locator('[data-testid="create-tenant"]');
    await form.locator('input[name="tenantName"]').fill('Acme Corp');
    expect(await form.locator('input[name="slug"]').inputValue()).toBe('acme-corp');
    await form.locator('input[name="timezone"]').fill('Europe/Berlin');
    await form.locator('button[type="submit"]').click();
    const row = page.locator('[data-tenant-slug="acme-corp"]');
    await row.waitFor();
    expect(await row.locator('[data-testid="tenant-status"]').textContent()).toBe('active');

    // Numbers and a call rule on the tenant's own page.
    await row.locator('text=Rules and numbers').click();
    await page.waitForSelector('[data-testid="rules-editor"]');
    await page.click('text=Add rule');
    await page.fill('input[aria-label="Rule 1 endpoint"]', 'PJSIP/acme-*');
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/rules') && r.request().method() === 'PUT' && r.status() === 200),
      page.click('text=Save rules'),
    ]);
    await page.waitForSelector('[data-testid="rules-editor"] [role="status"]');
    await page.fill('input[name="number"]', '+4930123456');
    await page.fill('input[name="label"]', 'Main line');
    await page.click('text=Add number');
    await page.waitForSelector('.number-list >> text=+4930123456');
    await screenshot(page, 'accounts-tenant-detail');

    // Acting in the tenant: the switcher asks the engine, and the session names the tenant.
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/session/tenant') && r.status() === 200),
      page.selectOption('[data-testid="tenant-switcher"]', { label: 'Acme Corp' }),
    ]);
    await createUser(page, OWNER, 'owner');
    await page.waitForSelector('.view-head >> text=Acme Corp');
    expect(await page.locator(`[data-user-email="${OWNER.email}"] .tag`).first().textContent()).toBe('owner');
    // Only the tenant's users are listed: the operator is not one of them.
    expect(await page.locator(`[data-user-email="${OPERATOR.email}"]`).count()).toBe(0);
    await screenshot(page, 'accounts-users');

    await logOut(page);
    expect(unexpected(errors)).toEqual([]);
  }, 60_000);

  it('lets the owner create an API key, shown once, and revoke it; the audit log records both', async () => {
    await logIn(page, OWNER);
    expect(await page.locator('[data-testid="account-chip"]').textContent()).toContain('owner · Acme Corp');
    expect(await navLabels(page)).toEqual(['Live', 'History', 'Statistics', 'Console', 'Health', 'Routing', 'Users', 'API keys', 'CRM', 'Audit log']);
    expect(await page.locator('[data-testid="tenant-switcher"]').count()).toBe(0);

    await page.goto(`${engine.baseUrl}/#/keys`);
    await page.fill('input[name="keyName"]', 'wallboard');
    await page.selectOption('select[name="keyRole"]', 'reporter');
    await page.click('text=Create key');
    const shown = page.locator('[data-testid="new-key-value"]');
    await shown.waitFor();
    const key = (await shown.textContent()) ?? '';
    expect(key).toMatch(/^cfk_/);
    expect(await page.locator('[data-testid="new-key"]').textContent()).toContain('shown this once');
    const row = page.locator('[data-key-name="wallboard"]');
    await row.waitFor();
    expect(await row.textContent()).toContain(key.slice(0, 8));
    await screenshot(page, 'accounts-key-created');
    await page.click('text=I have stored it');
    await page.locator('[data-testid="new-key"]').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(key);

    // The key works until it is revoked.
    expect((await fetch(`${engine.baseUrl}/api/calls`, { headers: { 'x-api-key': key } })).status).toBe(200);
    await row.locator('button[aria-label="Revoke wallboard"]').click();
    await row.locator('text=Yes, revoke').click();
    await page.waitForSelector('[data-key-name="wallboard"] [data-testid="key-state"] >> text=revoked');
    expect((await fetch(`${engine.baseUrl}/api/calls`, { headers: { 'x-api-key': key } })).status).toBe(401);

    await createUser(page, REPORTER, 'reporter');

    await page.goto(`${engine.baseUrl}/#/audit`);
    await page.waitForSelector('[data-testid="audit-list"]');
    const actions = await page.locator('.audit-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    // Newest first: the reporter was created after the key was revoked, which came after it was created.
    expect(actions.indexOf('api_key.revoked')).toBeGreaterThan(-1);
    expect(actions.indexOf('api_key.created')).toBeGreaterThan(actions.indexOf('api_key.revoked'));
    expect(actions).toContain('user.created');
    expect(actions.every((action) => action !== 'tenant.created')).toBe(true);
    const revoked = page.locator('.audit-row[data-action="api_key.revoked"]').first();
    expect(await revoked.textContent()).toContain(`by ${OWNER.email}`);
    // The newest user.created is the reporter: its before and after are folded away until asked for.
    const created = page.locator('.audit-row[data-action="user.created"]').first();
    expect(await created.locator('.diff-grid').isVisible()).toBe(false);
    await created.locator('summary').click();
    expect(await created.locator('.diff-grid').isVisible()).toBe(true);
    expect(await created.locator('.diff-grid').textContent()).toContain(REPORTER.email);
    expect(await page.content()).not.toContain(key);
    await screenshot(page, 'accounts-audit');
    await logOut(page);
    expect(unexpected(errors)).toEqual([]);
  }, 60_000);

  it("lets the owner set the tenant's webhook: the secret is stored, never shown again, and kept when not retyped", async () => {
    await logIn(page, OWNER);
    await page.goto(`${engine.baseUrl}/#/settings/crm`);
    await page.waitForSelector('#crm-title');
    await page.click('text=Add webhook');
    await page.fill('input[name="webhook-0-name"]', 'orders');
    await page.fill('input[name="webhook-0-url"]', 'http://127.0.0.1:9/hook');
    await page.fill('input[name="webhook-0-secret"]', 'a-webhook-secret-of-acme');
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/settings/crm') && r.request().method() === 'PUT' && r.status() === 200),
      page.click('text=Save settings'),
    ]);
    await page.waitForSelector('[data-testid="crm-saved"]');
    await page.reload();
    const secret = page.locator('input[name="webhook-0-secret"]');
    await secret.waitFor();
    expect(await secret.inputValue()).toBe('');
    expect(await secret.getAttribute('placeholder')).toContain('stored');
    expect(await page.content()).not.toContain('a-webhook-secret-of-acme');
    // Saved again without retyping the secret: the stored one stays (the engine would refuse a webhook without one).
    await page.fill('input[name="webhook-0-url"]', 'http://127.0.0.1:9/other');
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/settings/crm') && r.request().method() === 'PUT' && r.status() === 200),
      page.click('text=Save settings'),
    ]);
    await page.goto(`${engine.baseUrl}/#/audit`);
    await page.waitForSelector('.audit-row[data-action="crm_settings.updated"]');
    expect(await page.content()).not.toContain('a-webhook-secret-of-acme');
    await logOut(page);
    expect(unexpected(errors)).toEqual([]);
  }, 60_000);

  it('shows a reporter no management pages, the health summary only and no engine figures; it changes its password', async () => {
    await logIn(page, REPORTER);
    expect(await navLabels(page)).toEqual(['Live', 'History', 'Statistics', 'Console', 'Health', 'Routing']);

    await page.goto(`${engine.baseUrl}/#/stats`);
    await page.waitForSelector('[data-testid="call-stats"]');
    await page.waitForSelector('[data-testid="call-stats"] >> text=No calls in this window yet.');
    expect(await page.locator('[data-testid="engine-stats"]').count()).toBe(0);

    await page.goto(`${engine.baseUrl}/#/health`);
    await page.waitForSelector('[data-testid="overall-health"]');
    expect(await page.locator('[data-testid="health-cards"] .health-card').count()).toBe(1);

    await page.goto(`${engine.baseUrl}/#/users`);
    expect(await page.locator('[role="alert"]').textContent()).toContain('may not see this page');

    await page.goto(`${engine.baseUrl}/#/account`);
    const inputs = page.locator('form[aria-labelledby="password-title"] input');
    await inputs.nth(0).fill('not my password');
    await inputs.nth(1).fill('reporter password 2');
    await inputs.nth(2).fill('reporter password 2');
    await page.click('text=Change password >> nth=-1');
    await page.waitForSelector('form[aria-labelledby="password-title"] [role="alert"] >> text=The current password is not right.');
    // A wrong current password is the form's error, not a reason to log out.
    expect(await page.locator('.login-page').count()).toBe(0);
    await inputs.nth(0).fill(REPORTER.password);
    await page.click('text=Change password >> nth=-1');
    await page.waitForSelector('form[aria-labelledby="password-title"] [role="status"]');
    await logOut(page);
    await logIn(page, { email: REPORTER.email, password: 'reporter password 2' });
    expect(unexpected(errors)).toEqual([]);
  }, 60_000);

  it('fits a phone: no sideways scrolling on the login page and the account pages', async () => {
    const phone = await openPage(browser, PHONE);
    await phone.page.goto(`${engine.baseUrl}/`);
    await logIn(phone.page, OWNER);
    for (const route of ['#/users', '#/keys', '#/settings/crm', '#/audit', '#/account']) {
      await phone.page.goto(`${engine.baseUrl}/${route}`);
      await phone.page.waitForSelector('.view-head h1');
      await phone.page.waitForSelector('.page-state[role="status"]', { state: 'detached' });
      expect(await horizontalOverflowPx(phone.page), route).toBe(0);
    }
    await screenshot(phone.page, 'accounts-phone-audit');
    // The top bar's logout button makes room for the views on a phone; the account page has one.
    await phone.page.goto(`${engine.baseUrl}/#/account`);
    await phone.page.click('.view-head button:has-text("Log out")');
    await phone.page.waitForSelector('[data-testid="login-form"]');
    expect(await horizontalOverflowPx(phone.page)).toBe(0);
    expect(unexpected(phone.errors)).toEqual([]);
    await phone.page.context().close();
  }, 60_000);
});

describe.skipIf(!HAS_CHROMIUM)(`login throttling in the dashboard${CHROMIUM_SKIP_NOTE}`, () => {
  let engine: EngineUnderTest;
  let browser: Browser;

  beforeAll(async () => {
    await buildDashboard();
    engine = await startEngine({ SIMULATOR: 'off', AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_MS: '60000' });
    // While the engine is open, the first account is made over the API from this (loopback) address.
    const made = await fetch(`${engine.baseUrl}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: OPERATOR.email, name: OPERATOR.name, role: 'operator', password: OPERATOR.password }),
    });
    expect(made.status).toBe(201);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await engine?.stop();
  });

  it('shows how long to wait once too many logins failed', async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${engine.baseUrl}/`);
    await page.waitForSelector('[data-testid="login-form"]');
    // The engine counts every refused authentication from this address (the page's first GET /api/session
    // is one), so the wrong passwords that get their 401 before the 429 are not counted exactly here.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5 && !statuses.includes(429); attempt += 1) {
      await page.fill('input[name="email"]', OPERATOR.email);
      await page.fill('input[name="password"]', `wrong password ${attempt}`);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/session') && r.request().method() === 'POST'),
        page.click('[data-testid="login-form"] button[type="submit"]'),
      ]);
      statuses.push(answer.status());
      await page.waitForSelector('[data-testid="login-form"] button[type="submit"]:not([disabled])');
    }
    expect(statuses[0]).toBe(401);
    expect(statuses.at(-1)).toBe(429);
    expect(await page.locator('[data-testid="login-error"]').textContent()).toMatch(/^Too many failed attempts\. Try again in \d+ s\.$/);
    await screenshot(page, 'accounts-login-throttled');
    expect(errors.filter((text) => !/401|429/.test(text))).toEqual([]);
    await page.context().close();
  }, 60_000);
});
