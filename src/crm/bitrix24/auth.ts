import { request } from 'undici';
import type { Bitrix24Config } from '../config.ts';
import { crmRequestError } from '../errors.ts';
import { withDeadline } from '../flow/deadline.ts';

// How requests to Bitrix24 are authenticated: an incoming webhook (the secret is in the URL) or a
// local application's OAuth tokens, refreshed when the portal answers `expired_token`. Refresh
// tokens rotate, so the current pair is kept in a TokenStore shared by every instance.

export interface OAuthTokens {
  accessToken: string;
  refreshToken: string;
}

export interface TokenStore {
  load(): Promise<OAuthTokens | null>;
  save(tokens: OAuthTokens): Promise<void>;
}

export interface BitrixAuth {
  readonly kind: 'webhook' | 'oauth';
  /** URL of a REST method and the parameters that authenticate the request. */
  prepare(method: string): Promise<{ url: string; authParams: Record<string, string>; token: string | null }>;
  /** After `expired_token` for `token`: obtain a fresh one (once, even when many requests ask). */
  refresh(token: string | null): Promise<void>;
}

export function memoryTokenStore(initial: OAuthTokens | null = null): TokenStore {
  let tokens = initial;
  return {
    load: async () => tokens,
    save: async (t) => {
      tokens = t;
    },
  };
}

function baseUrl(value: string): string {
  const withScheme = /^https?:\/\//i.test(value) ? value : `https://${value}`;
  return withScheme.replace(/\/+$/, '');
}

/** `https://x.bitrix24.com/rest/1/code/` (with or without a method or trailing slash) → base ending in `/`. */
export function webhookBase(webhookUrl: string): string {
  return `${webhookUrl.replace(/\/[A-Za-z0-9_.]+\.(json|xml)$/i, '').replace(/\/+$/, '')}/`;
}

export function webhookAuth(webhookUrl: string): BitrixAuth {
  const base = webhookBase(webhookUrl);
  return {
    kind: 'webhook',
    prepare: async (method) => ({ url: `${base}${method}.json`, authParams: {}, token: null }),
    refresh: async () => {
      throw crmRequestError('bitrix24: the webhook was refused as expired; it cannot be refreshed', { target: 'bitrix24', remoteCode: 'expired_token' }, { retryable: true });
    },
  };
}

export function oauthAuth(config: NonNullable<Bitrix24Config['oauth']>, store: TokenStore, timeoutMs: number): BitrixAuth {
  const portal = baseUrl(config.portal);
  let current: OAuthTokens | null = null;
  let refreshing: Promise<void> | null = null;

  async function tokens(): Promise<OAuthTokens> {
    current ??= (await store.load()) ?? { accessToken: config.accessToken, refreshToken: config.refreshToken };
    return current;
  }

  async function exchange(refreshToken: string): Promise<OAuthTokens> {
    const url = new URL(config.tokenUrl);
    url.searchParams.set('grant_type', 'refresh_token');
    url.searchParams.set('client_id', config.clientId);
    url.searchParams.set('client_secret', config.clientSecret);
    url.searchParams.set('refresh_token', refreshToken);
    let status = 0;
    let body: { access_token?: unknown; refresh_token?: unknown; error?: unknown } = {};
    try {
      await withDeadline(timeoutMs, undefined, async (signal) => {
        const res = await request(url, { method: 'GET', signal });
        status = res.statusCode;
        body = (await res.body.json().catch(() => ({}))) as typeof body;
      });
    } catch (cause) {
      throw crmRequestError('bitrix24: token refresh failed (no answer)', { target: 'bitrix24', targetDown: true }, { retryable: true, cause });
    }
    if (typeof body.access_token !== 'string' || typeof body.refresh_token !== 'string') {
      throw crmRequestError(
        `bitrix24: token refresh refused (${typeof body.error === 'string' ? body.error : `status ${status}`})`,
        { target: 'bitrix24', status, remoteCode: typeof body.error === 'string' ? body.error : undefined },
        { retryable: true },
      );
    }
    return { accessToken: body.access_token, refreshToken: body.refresh_token };
  }

  async function doRefresh(staleToken: string | null): Promise<void> {
    // Another instance may have rotated the pair already: its refresh token is the valid one now.
    const stored = await store.load();
    if (stored && stored.accessToken !== staleToken) {
      current = stored;
      return;
    }
    const fresh = await exchange((stored ?? (await tokens())).refreshToken);
    await store.save(fresh);
    current = fresh;
  }

  return {
    kind: 'oauth',
    async prepare(method) {
      const t = await tokens();
      return { url: `${portal}/rest/${method}.json`, authParams: { auth: t.accessToken }, token: t.accessToken };
    },
    refresh(token) {
      if (current && token !== current.accessToken) return Promise.resolve();
      refreshing ??= doRefresh(token).finally(() => {
        refreshing = null;
      });
      return refreshing;
    },
  };
}
