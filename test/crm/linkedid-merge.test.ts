import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { FakeBitrix } from '../support/fake-bitrix.ts';
import { traceEvents } from '../support/fixtures.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

// An external-media channel starts a call of its own in Asterisk and is moved into the call it is bridged with
// (g_external_media_channelvars: Asterisk 22, CEL shows the move). The engine stores that short-lived call before
// the move; once merged it must not reach a CRM or a webhook as a call of its own.

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const CALL = '1796508137.0';
const MEDIA = '1796508137.2';

describe('a call merged away when Asterisk moves its channel to another linkedid', () => {
  const bitrix = new FakeBitrix();
  const receiver = new WebhookReceiver('whsec-linkedid-test');
  let app: App;

  beforeAll(async () => {
    await bitrix.start();
    await receiver.start();
    const config = loadConfig({
      env: {
        CALLFLOW_DATA_DIR: 'memory://',
        SIMULATOR: 'off',
        BITRIX_WEBHOOK_URL: bitrix.webhookUrl,
        WEBHOOK_URLS: receiver.url,
        WEBHOOK_SECRET: 'whsec-linkedid-test',
        OUTBOX_SETTLE_MS: '5000',
      },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    app = await createApp(config, silentLogger());
    await app.start();
  });

  afterAll(async () => {
    await app?.stop();
    await bitrix.close();
    await receiver.close();
  });

  it('is stored until the move, then gone with its deliveries; the call it joined is delivered once with the leg', async () => {
    const events = traceEvents('g_external_media_channelvars');
    const move = events.findIndex((e) => e.type === 'ChannelEnteredBridge' && (e.channel as { id: string }).id === MEDIA);
    const before = await app.server.inject({ method: 'POST', url: '/api/events', payload: { events: events.slice(0, move) } });
    expect(before.json().callIds).toEqual([CALL, MEDIA]);
    await until(async () => (await app.server.inject({ method: 'GET', url: `/api/calls/${MEDIA}` })).statusCode === 200);
    const pending = (await app.server.inject({ method: 'GET', url: `/api/deliveries?callId=${MEDIA}` })).json();
    expect(JSON.stringify(pending)).toContain('call.created');

    const after = await app.server.inject({ method: 'POST', url: '/api/events', payload: { events: events.slice(move) } });
    expect(after.json().callIds).toEqual([CALL]);
    await until(() => bitrix.callsByExternalId(CALL).some((c) => c.finish !== null));
    await until(() => receiver.accepted().some((h) => h.type === 'call.finished'));

    expect(bitrix.callsByExternalId(MEDIA)).toEqual([]);
    expect(receiver.accepted().filter((h) => h.callId === MEDIA)).toEqual([]);
    expect(bitrix.callsByExternalId(CALL)).toHaveLength(1);
    expect((await app.server.inject({ method: 'GET', url: `/api/calls/${MEDIA}` })).statusCode).toBe(404);
    const call = (await app.server.inject({ method: 'GET', url: `/api/calls/${CALL}` })).json();
    expect(call.legs.map((l: { channelId: string }) => l.channelId)).toEqual([CALL, '1796508137.1', MEDIA]);
    const list = (await app.server.inject({ method: 'GET', url: '/api/calls' })).json();
    expect(JSON.stringify(list)).not.toContain(`"id":"${MEDIA}"`);
  });
});
