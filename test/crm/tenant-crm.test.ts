import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { createLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { isSealed } from '../../src/tenants/secret-box.ts';
import { traceEvents } from '../support/fixtures.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/test-store.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

// Two tenants, each with its own webhook receiver and secret, beside the default tenant that still takes the
// environment's webhook: calls posted to the engine are planned by their tenant's settings and delivered
// signed with that tenant's secret only. Settings are read masked, kept when the marker comes back, audited
// without secrets; a restart under another SECRETS_KEY leaves the tenant's sinks failing with a clear reason.

const ENV_SECRET = 'env-webhook-secret-0123456789';
const A_SECRET = 'tenant-a-secret-0123456789-abc';
const B_SECRET = 'tenant-b-secret-0123456789-xyz';
/** Tenant B's Bitrix24 portal: a webhook URL nothing answers on (its code is a secret) and the portal's token. */
const B_PORTAL_URL = 'http://127.0.0.1:9/rest/1/b0portalcode0123/';
const B_PORTAL_TOKEN = 'tenant-b-portal-application-token';
const PLAINTEXTS = [ENV_SECRET, A_SECRET, B_SECRET, 'b0portalcode0123', B_PORTAL_TOKEN];

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('CRM and webhook settings per tenant', () => {
  const envRx = new WebhookReceiver(ENV_SECRET);
  const aRx = new WebhookReceiver(A_SECRET);
  const bRx = new WebhookReceiver(B_SECRET);
  const logLines: string[] = [];
  const bodies: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-tenant-crm-'));
  let db: TestDatabase | null = null;
  let app: App;
  let tenantA = '';
  let tenantB = '';

  const logger = () =>
    createLogger(
      'debug',
      new Writable({
        write(chunk, _enc, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );

  async function open(secretsKey: string): Promise<App> {
    const config = loadConfig({
      env: {
        CALLFLOW_DATA_DIR: dataDir,
        SIMULATOR: 'off',
        WEBHOOK_URLS: envRx.url,
        WEBHOOK_SECRET: ENV_SECRET,
        OUTBOX_SETTLE_MS: '50',
        SECRETS_KEY: secretsKey,
        ...(db ? { DATABASE_URL: db.url } : {}),
      },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    const opened = await createApp(config, logger());
    await opened.start();
    return opened;
  }

  async function api(method: 'GET' | 'PUT' | 'POST', url: string, tenant: string | null, payload?: unknown) {
    const res = await app.server.inject({ method, url, headers: tenant ? { 'x-tenant-id': tenant } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
    bodies.push(res.body);
    return res;
  }

  const post = (server: string, trace: string) => api('POST', '/api/events', null, { server, events: traceEvents(trace) });

  beforeAll(async () => {
    await Promise.all([envRx.start(), aRx.start(), bRx.start()]);
    db = postgresUrl ? await createPostgresDatabase() : null;
    app = await open(randomBytes(32).toString('base64'));
    for (const [slug, server] of [['tenant-a', 'pbx-a'], ['tenant-b', 'pbx-b']] as const) {
      const created = await api('POST', '/api/tenants', null, { name: slug, slug });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;
      expect((await api('PUT', `/api/tenants/${id}/rules`, null, { rules: [{ server }] })).statusCode).toBe(200);
      if (slug === 'tenant-a') tenantA = id;
      else tenantB = id;
    }
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all([envRx.close(), aRx.close(), bRx.close()]);
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the default tenant the environment (inherited, secret masked) and another tenant nothing', async () => {
    const def = (await api('GET', '/api/settings/crm', 'default')).json();
    expect(def).toMatchObject({ tenantId: 'default', inherited: true, updatedAt: null, problem: null });
    expect(def.settings.webhooks).toEqual([expect.objectContaining({ name: 'hook1', url: envRx.url, secret: '********' })]);
    const a = (await api('GET', '/api/settings/crm', tenantA)).json();
    expect(a).toMatchObject({ tenantId: tenantA, inherited: false, settings: { webhooks: [], bitrix24: null } });
  });

  it('refuses invalid settings with the field paths', async () => {
    const res = await api('PUT', '/api/settings/crm', tenantA, { webhooks: [{ name: 'crm', url: 'not a url', secret: 'short' }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('CF_REQUEST_INVALID');
    expect(res.json().message).toContain('webhooks.0.url');
    expect(res.json().message).toContain('webhooks.0.secret');
    const marker = await api('PUT', '/api/settings/crm', tenantB, { webhooks: [{ name: 'crm', url: bRx.url, secret: '********' }] });
    expect(marker.statusCode).toBe(400);
    expect(marker.json().message).toContain('webhooks.0.secret');
  });

  it("stores each tenant's settings sealed and answers them masked", async () => {
    for (const [tenant, rx, secret] of [[tenantA, aRx, A_SECRET], [tenantB, bRx, B_SECRET]] as const) {
      const res = await api('PUT', '/api/settings/crm', tenant, { webhooks: [{ name: 'crm', url: rx.url, secret }] });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ tenantId: tenant, inherited: false, problem: null, settings: { webhooks: [{ name: 'crm', secret: '********' }] } });
      const [row] = await app.store.sql.query<{ config: { webhooks: { secret: string }[] } }>('SELECT config FROM tenant_crm WHERE tenant_id = $1', [tenant]);
      expect(isSealed(row!.config.webhooks[0]!.secret)).toBe(true);
      expect(JSON.stringify(row!.config)).not.toContain(secret);
    }
    expect(app.crm.sinks.map((s) => s.name).sort()).toEqual([`${tenantA}/webhook:crm`, `${tenantB}/webhook:crm`, 'webhook:hook1'].sort());
  });

  it("delivers a tenant's call to its own receiver only, signed with its secret; the default tenant's to the environment's", async () => {
    expect((await post('pbx-a', 'c_dial_answered')).statusCode).toBe(202);
    expect((await post('api', 'd1_dial_busy')).statusCode).toBe(202);
    await until(() => aRx.accepted().some((w) => w.type === 'call.finished' && w.callId === '1795234265.6'), "tenant A's call.finished");
    await until(() => envRx.accepted().some((w) => w.type === 'call.finished' && w.callId === '1795234271.10'), "the default tenant's call.finished");
    for (const h of aRx.received) {
      expect(h.verification.valid).toBe(true);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(h.headers['callflow-signature'])) ?? [];
      expect(v1).toBe(createHmac('sha256', A_SECRET).update(`${t}.${h.raw}`).digest('hex'));
      expect(h.callId).toBe('1795234265.6');
      expect(h.id.startsWith(`${tenantA}/webhook:crm:`)).toBe(true);
    }
    expect(envRx.received.every((h) => h.callId === '1795234271.10' && h.verification.valid)).toBe(true);
    expect(bRx.received).toEqual([]);
    const sinks = await app.store.sql.query<{ sink: string; call_id: string }>('SELECT DISTINCT sink, call_id FROM outbox ORDER BY sink');
    expect(sinks).toEqual([
      { sink: `${tenantA}/webhook:crm`, call_id: '1795234265.6' },
      { sink: 'webhook:hook1', call_id: '1795234271.10' },
    ]);
  });

  it('keeps the stored secret when the marker comes back, and audits the change without secrets', async () => {
    const before = (await api('GET', '/api/settings/crm', tenantA)).json();
    const res = await api('PUT', '/api/settings/crm', tenantA, { webhooks: [{ ...before.settings.webhooks[0], events: ['call.finished'] }] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().settings.webhooks[0]).toMatchObject({ secret: '********', events: ['call.finished'] });
    expect((await post('pbx-a', 'd2_dial_noanswer')).statusCode).toBe(202);
    await until(() => aRx.accepted().some((w) => w.callId === '1795234275.18'), "tenant A's next call");
    const next = aRx.received.filter((w) => w.callId === '1795234275.18');
    expect(next.map((w) => w.type)).toEqual(['call.finished']);
    expect(next.every((w) => w.verification.valid)).toBe(true);
    const audit = (await api('GET', '/api/audit', tenantA)).json().items as { action: string; before: unknown; after: unknown }[];
    const changes = audit.filter((e) => e.action === 'crm_settings.updated');
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({ before: { webhooks: [{ secret: '********', events: ['call.created', 'call.answered', 'call.finished', 'call.recorded', 'voicemail.left'] }] }, after: { webhooks: [{ secret: '********', events: ['call.finished'] }] } });
  });

  it("takes click-to-call events from a tenant's own portal only with that portal's token, and files them under the tenant", async () => {
    const portal = { webhookUrl: B_PORTAL_URL, applicationToken: B_PORTAL_TOKEN, userMap: { '301': 11 } };
    expect((await api('PUT', '/api/settings/crm', tenantB, { bitrix24: portal })).statusCode).toBe(200);
    const event = (token: string, callId: string) =>
      new URLSearchParams({ event: 'ONEXTERNALCALLSTART', 'data[PHONE_NUMBER]': '+4930555', 'data[USER_ID]': '11', 'data[CALL_ID]': callId, 'auth[application_token]': token }).toString();
    const send = (tenant: string, body: string) =>
      app.server.inject({ method: 'POST', url: `/integrations/bitrix24/${tenant}/events`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body });
    // Another tenant's path, a wrong token, and a tenant that does not exist are refused alike.
    for (const [tenant, token] of [[tenantA, B_PORTAL_TOKEN], [tenantB, 'not-the-token'], ['t_nosuchtenant', B_PORTAL_TOKEN]] as const) {
      const refused = await send(tenant, event(token, 'externalCall.b.0'));
      expect(refused.statusCode, `${tenant} ${token}`).toBe(401);
    }
    // No PBX is connected here: the click-to-call is finished as failed, under tenant B's own sink and call id.
    const placed = await send(tenantB, event(B_PORTAL_TOKEN, 'externalCall.b.1'));
    expect(placed.statusCode, placed.body).toBe(503);
    const rows = await app.store.sql.query<{ sink: string; call_id: string; payload: { call: { tenantId: string } } }>(
      "SELECT sink, call_id, payload FROM outbox WHERE call_id LIKE 'bx-%'",
    );
    expect(rows).toEqual([{ sink: `${tenantB}/bitrix24`, call_id: `bx-${tenantB}-externalCall.b.1`, payload: expect.objectContaining({ call: expect.objectContaining({ tenantId: tenantB }) }) }]);
    expect((await api('PUT', '/api/settings/crm', tenantB, { bitrix24: null })).statusCode).toBe(200);
  });

  it('never lets a secret out: answers, logs and audit rows hold neither plaintext nor sealed values', async () => {
    bodies.push((await api('GET', '/api/settings/crm', 'default')).body, (await api('GET', '/health', null)).body);
    const audit = JSON.stringify(await app.store.sql.query('SELECT * FROM audit_log'));
    const sealed = (await app.store.sql.query<{ config: unknown }>('SELECT config FROM tenant_crm')).map((r) => JSON.stringify(r.config).match(/v1:[A-Za-z0-9+/=:]+/g) ?? []).flat();
    expect(sealed.length).toBeGreaterThan(0);
    for (const [where, text] of [['answers', bodies.join('\n')], ['logs', logLines.join('')], ['audit', audit]] as const) {
      for (const secret of [...PLAINTEXTS, ...sealed]) expect(text.includes(secret), `${where} hold a secret`).toBe(false);
    }
    expect(audit).toContain('crm_settings.updated');
    expect(logLines.length).toBeGreaterThan(10);
  });

  it('after a restart under another SECRETS_KEY, fails that tenant\'s deliveries with CF_SECRET_UNREADABLE and keeps running', async () => {
    await app.stop();
    logLines.length = 0;
    app = await open(randomBytes(32).toString('base64'));
    expect(logLines.some((l) => l.includes('CF_SECRET_UNREADABLE') && l.includes(tenantA))).toBe(true);
    const health = (await api('GET', '/health', null)).json();
    const sinkA = health.checks.crm.sinks.find((s: { name: string }) => s.name === `${tenantA}/webhook:crm`);
    expect(sinkA.problem).toContain('CF_SECRET_UNREADABLE');
    expect(health.status).toBe('degraded');
    expect((await api('GET', '/api/settings/crm', tenantA)).json().problem).toContain('CF_SECRET_UNREADABLE');
    // Still planned and queued, failing with the reason; the default tenant's environment webhook still goes.
    const deliveredBefore = aRx.received.length;
    expect((await post('pbx-a', 'b_unanswered_caller_hangup')).statusCode).toBe(202);
    await until(async () => {
      const rows = await app.store.sql.query<{ last_error: string | null }>("SELECT last_error FROM outbox WHERE call_id = '1795234256.2'");
      return rows.some((r) => r.last_error?.includes('CF_SECRET_UNREADABLE') ?? false);
    }, 'the delivery error');
    expect(aRx.received.length).toBe(deliveredBefore);
    expect((await api('GET', '/api/calls/1795234256.2', null)).statusCode).toBe(200);
    // Sending the secret again (the marker cannot be kept now) seals it under the new key and delivers.
    const marker = await api('PUT', '/api/settings/crm', tenantA, { webhooks: [{ name: 'crm', url: aRx.url, secret: '********' }] });
    expect(marker.statusCode).toBe(400);
    const fixed = await api('PUT', '/api/settings/crm', tenantA, { webhooks: [{ name: 'crm', url: aRx.url, secret: A_SECRET }] });
    expect(fixed.json().problem).toBeNull();
    await app.store.sql.query("UPDATE outbox SET next_attempt_at = now() WHERE call_id = '1795234256.2' AND status = 'pending'");
    app.crm.worker.wake();
    await until(() => aRx.accepted().some((w) => w.callId === '1795234256.2' && w.type === 'call.finished'), 'the delivery after the fix');
  }, 120_000);
});
