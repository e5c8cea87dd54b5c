import { describe, expect, it } from 'vitest';
import { crmFromEnv, parseCrmConfig } from './config.ts';

describe('CRM configuration', () => {
  it('defaults: no sinks, 24 h dead-letter age, Bitrix24 at 2/s burst 50', () => {
    const c = parseCrmConfig({ bitrix24: { webhookUrl: 'https://x.bitrix24.com/rest/1/abc/' } });
    expect(c.webhooks).toEqual([]);
    expect(c.outbox.maxAgeMs).toBe(86_400_000);
    expect(c.outbox.settleMs).toBe(1000);
    expect(c.bitrix24?.rate).toEqual({ perSecond: 2, burst: 50 });
  });

  it('reads the environment', () => {
    const c = parseCrmConfig(
      crmFromEnv({
        BITRIX_WEBHOOK_URL: 'https://x.bitrix24.com/rest/1/abc/',
        BITRIX_USER_MAP: '101:5, 102:7',
        BITRIX_SHOW_CARD: 'answer',
        BITRIX_SEND_INTERNAL: 'yes',
        WEBHOOK_URLS: 'https://a.example/h,https://b.example/h',
        WEBHOOK_SECRET: 'shared-secret-0123456789',
        WEBHOOK_EVENTS: 'call.finished',
        OUTBOX_MAX_AGE_MS: '60000',
      }),
    );
    expect(c.bitrix24).toMatchObject({ userMap: { '101': 5, '102': 7 }, showCard: 'answer', sendInternal: true });
    expect(c.webhooks.map((w) => [w.name, w.events])).toEqual([
      ['hook1', ['call.finished']],
      ['hook2', ['call.finished']],
    ]);
    expect(c.outbox.maxAgeMs).toBe(60_000);
  });

  it('reports every problem at once', () => {
    expect(() =>
      parseCrmConfig({ webhooks: [{ name: 'a b', url: 'nope', secret: 'short' }], bitrix24: { showCard: 'sometimes' } }),
    ).toThrow(/webhooks\.0\.name[\s\S]*webhooks\.0\.url[\s\S]*webhooks\.0\.secret[\s\S]*showCard/);
  });

  it('requires exactly one Bitrix24 auth method', () => {
    expect(() => parseCrmConfig({ bitrix24: {} })).toThrow(/exactly one of webhookUrl or oauth/);
  });
});
