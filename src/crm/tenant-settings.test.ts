import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSealed } from '../tenants/secret-box.ts';
import { keepSecrets, markersLeft, maskSettings, openSettings, plannableSettings, sealSettings, SECRET_MARKER, validSettings } from './tenant-settings.ts';

const key = randomBytes(32);
const settings = validSettings({
  webhooks: [{ name: 'erp', url: 'https://erp.example/hook', secret: 'erp-secret-0123456789' }],
  bitrix24: {
    oauth: { portal: 'acme.bitrix24.com', clientId: 'app.1', clientSecret: 'client-secret', accessToken: 'access', refreshToken: 'refresh', applicationToken: 'app-token' },
    userMap: { '101': 5 },
  },
});
const plaintexts = ['erp-secret-0123456789', 'client-secret', 'access', 'refresh', 'app-token'];

describe('tenant CRM settings', () => {
  it('seals every secret, opens them again, and masks them sealed or not', () => {
    const sealed = sealSettings(settings, key);
    const text = JSON.stringify(sealed);
    for (const p of plaintexts) expect(text).not.toContain(`"${p}"`);
    expect(isSealed((sealed.bitrix24 as { oauth: { refreshToken: string } }).oauth.refreshToken)).toBe(true);
    expect(openSettings(sealed, key)).toEqual(settings);
    for (const shown of [maskSettings(sealed), maskSettings(settings)]) {
      expect(shown).toMatchObject({ webhooks: [{ name: 'erp', secret: SECRET_MARKER }], bitrix24: { oauth: { clientId: 'app.1', clientSecret: SECRET_MARKER, accessToken: SECRET_MARKER, refreshToken: SECRET_MARKER, applicationToken: SECRET_MARKER } } });
    }
    expect(plannableSettings(sealed).webhooks.map((w) => w.name)).toEqual(['erp']);
  });

  it('names the field that does not open under another key, never its value', () => {
    const sealed = sealSettings(settings, key);
    expect(() => openSettings(sealed, randomBytes(32))).toThrow(expect.objectContaining({ code: 'CF_SECRET_UNREADABLE', message: expect.stringContaining('webhooks.0.secret') }));
  });

  it('keeps a secret sent as the marker or left out, matched by webhook name; never for a new webhook', () => {
    const input = {
      webhooks: [{ name: 'erp', url: 'https://erp.example/v2', secret: SECRET_MARKER }, { name: 'new', url: 'https://new.example', secret: SECRET_MARKER }],
      bitrix24: { oauth: { portal: 'acme.bitrix24.com', clientId: 'app.1', clientSecret: SECRET_MARKER, refreshToken: 'rotated' } },
    };
    const kept = keepSecrets(input, settings) as typeof input & { bitrix24: { oauth: Record<string, string> } };
    expect(kept.webhooks[0]!.secret).toBe('erp-secret-0123456789');
    expect(kept.bitrix24.oauth).toMatchObject({ clientSecret: 'client-secret', accessToken: 'access', refreshToken: 'rotated' });
    expect(markersLeft(kept)).toEqual(['webhooks.1.secret']);
    expect(input.webhooks[0]!.secret).toBe(SECRET_MARKER);
  });

  it('reports every problem by its path, without the values', () => {
    expect(() => validSettings({ webhooks: [{ name: 'a b', url: 'x', secret: 'hush' }], bitrix24: {} })).toThrow(
      expect.objectContaining({ code: 'CF_REQUEST_INVALID', message: expect.stringMatching(/webhooks\.0\.name.*webhooks\.0\.url.*webhooks\.0\.secret.*bitrix24/) }),
    );
    try {
      validSettings({ webhooks: [{ name: 'a', url: 'https://x.example', secret: 'hush' }] });
    } catch (err) {
      expect((err as Error).message).not.toContain('hush');
    }
  });
});
