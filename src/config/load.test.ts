import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.ts';

describe('loadConfig', () => {
  it('has defaults that start with nothing configured', () => {
    const c = loadConfig({ env: {} });
    expect(c.http.port).toBe(4100);
    expect(c.database.url).toBeUndefined();
    expect(c.ari.servers).toEqual([]);
    expect(c.simulator.mode).toBe('auto');
    expect(c.http.listingCacheMs).toBe(1000);
    expect(Object.isFrozen(c.http)).toBe(true);
  });

  it('reads the listing cache lifetime from LISTING_CACHE_MS, 0 turning it off', () => {
    expect(loadConfig({ env: { LISTING_CACHE_MS: '0' } }).http.listingCacheMs).toBe(0);
    expect(loadConfig({ env: { LISTING_CACHE_MS: '250' } }).http.listingCacheMs).toBe(250);
    expect(() => loadConfig({ env: { LISTING_CACHE_MS: '-1' } })).toThrow(/http.listingCacheMs/);
  });

  it('reads the stale-call sweep settings from CALLS_*, with defaults', () => {
    expect(loadConfig({ env: {} }).calls).toEqual({ staleAfterMs: 7_200_000, disconnectedGraceMs: 1_800_000, sweepIntervalMs: 60_000 });
    const c = loadConfig({ env: { CALLS_STALE_AFTER_MS: '600000', CALLS_DISCONNECTED_GRACE_MS: '120000', CALLS_SWEEP_INTERVAL_MS: '5000' } });
    expect(c.calls).toEqual({ staleAfterMs: 600_000, disconnectedGraceMs: 120_000, sweepIntervalMs: 5_000 });
    expect(() => loadConfig({ env: { CALLS_STALE_AFTER_MS: '10' } })).toThrow(/calls.staleAfterMs/);
  });

  it('reads the live stream settings from LIVE_*, with defaults, and reports values out of range', () => {
    expect(loadConfig({ env: {} }).live).toEqual({
      ticketTtlMs: 30_000,
      replayMessages: 10_000,
      replayBytes: 16 * 1024 * 1024,
      snapshotMaxCalls: 5_000,
      snapshotMaxBytes: 8 * 1024 * 1024,
      clientBufferBytes: 4 * 1024 * 1024,
    });
    const live = loadConfig({
      env: {
        LIVE_TICKET_TTL_MS: '5000',
        LIVE_REPLAY_MESSAGES: '0',
        LIVE_REPLAY_BYTES: '1048576',
        LIVE_SNAPSHOT_MAX_CALLS: '100',
        LIVE_SNAPSHOT_MAX_BYTES: '65536',
        LIVE_CLIENT_BUFFER_BYTES: '131072',
      },
    }).live;
    expect(live).toEqual({ ticketTtlMs: 5_000, replayMessages: 0, replayBytes: 1_048_576, snapshotMaxCalls: 100, snapshotMaxBytes: 65_536, clientBufferBytes: 131_072 });
    expect(() => loadConfig({ env: { LIVE_TICKET_TTL_MS: '10', LIVE_SNAPSHOT_MAX_BYTES: '1000' } })).toThrow(/live.ticketTtlMs[\s\S]*live.snapshotMaxBytes/);
  });

  it('marks originated calls outbound unless DIRECTION_ORIGINATED_OUTBOUND turns it off', () => {
    expect(loadConfig({ env: {} }).direction.originatedOutbound).toBe(true);
    expect(loadConfig({ env: { DIRECTION_ORIGINATED_OUTBOUND: 'off' } }).direction.originatedOutbound).toBe(false);
  });

  it('applies flag > env > file > default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ http: { port: 5001, host: '127.0.0.1' }, log: { level: 'debug' } }));
    expect(loadConfig({ env: {}, file }).http.port).toBe(5001);
    expect(loadConfig({ env: { PORT: '5002' }, file }).http.port).toBe(5002);
    const c = loadConfig({ env: { PORT: '5002' }, file, flags: { http: { port: 5003 } } });
    expect(c.http.port).toBe(5003);
    expect(c.http.host).toBe('127.0.0.1');
    expect(c.log.level).toBe('debug');
  });

  it('reads one ARI server from ARI_* and several from ARI_SERVERS', () => {
    const one = loadConfig({ env: { ARI_URL: 'http://127.0.0.1:8088', ARI_USERNAME: 'u', ARI_PASSWORD: 'p' } });
    expect(one.ari.servers).toEqual([{ name: 'default', url: 'http://127.0.0.1:8088', username: 'u', password: 'p', app: 'callflow', subscribeAll: true }]);
    const many = loadConfig({
      env: { ARI_SERVERS: JSON.stringify([{ name: 'a', url: 'http://a:8088', username: 'u', password: 'p' }, { name: 'b', url: 'http://b:8088', username: 'u', password: 'p', subscribeAll: false }]) },
    });
    expect(many.ari.servers.map((s) => [s.name, s.subscribeAll])).toEqual([['a', true], ['b', false]]);
  });

  it('reports every problem at once, without echoing secrets', () => {
    let message = '';
    try {
      loadConfig({ env: { PORT: 'eighty', ARI_URL: 'not a url', ARI_PASSWORD: 'hunter2-secret', API_KEYS: 'short', DIRECTION_EXTENSION_PATTERN: '(' } });
    } catch (error) {
      expect((error as { code: string }).code).toBe('CF_CONFIG_INVALID');
      message = (error as Error).message;
    }
    expect(message).toContain('http.port');
    expect(message).toContain('ari.servers.0.url');
    expect(message).toContain('ari.servers.0.username');
    expect(message).toContain('http.apiKeys.0');
    expect(message).not.toContain('hunter2-secret');
  });

  it('rejects a broken config file and bad JSON in ARI_SERVERS clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-config-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ env: {}, file })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ env: {}, file: join(dir, 'missing.json') })).toThrow(/cannot read config file/);
    expect(() => loadConfig({ env: { ARI_SERVERS: '[{' } })).toThrow(/ARI_SERVERS is not valid JSON/);
    expect(() => loadConfig({ env: { DIRECTION_EXTENSION_PATTERN: '(' } })).toThrow(/extensionPattern/);
  });

  it('listens on loopback only without API keys, on every interface with them', () => {
    expect(loadConfig({ env: {} }).http.host).toBe('127.0.0.1');
    expect(loadConfig({ env: { API_KEYS: 'a-long-key-123' } }).http.host).toBe('0.0.0.0');
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost']) expect(loadConfig({ env: { HOST: host } }).http.host).toBe(host);
    expect(loadConfig({ env: { HOST: '10.1.2.3', API_KEYS: 'a-long-key-123' } }).http.host).toBe('10.1.2.3');
  });

  it('refuses a network address without API keys unless told it is insecure, with every other problem', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'pbx-helper.lan']) {
      let error: { code?: string; message?: string } = {};
      try {
        loadConfig({ env: { HOST: host, PORT: 'eighty' } });
      } catch (e) {
        error = e as typeof error;
      }
      expect(error.code, host).toBe('CF_CONFIG_INVALID');
      expect(error.message).toContain('http.host');
      expect(error.message).toContain('CALLFLOW_INSECURE_NO_AUTH');
      expect(error.message).toContain('http.port');
    }
    expect(loadConfig({ env: { HOST: '0.0.0.0', CALLFLOW_INSECURE_NO_AUTH: 'true' } }).http).toMatchObject({ host: '0.0.0.0', insecureNoAuth: true });
    // Consent alone does not move the default address.
    expect(loadConfig({ env: { CALLFLOW_INSECURE_NO_AUTH: 'true' } }).http.host).toBe('127.0.0.1');
  });

  it('reads the HTTP edge limits from their variables, within bounds', () => {
    const http = loadConfig({
      env: {
        HTTP_BODY_LIMIT_BYTES: '2048',
        HTTP_HEADERS_TIMEOUT_MS: '500',
        HTTP_REQUEST_TIMEOUT_MS: '900',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '700',
        HTTP_IDLE_TIMEOUT_MS: '1100',
        HTTP_CONNECTIONS_CHECK_INTERVAL_MS: '100',
        HTTP_MAX_CONNECTIONS: '50',
        AUTH_FAILURE_LIMIT: '3',
        AUTH_FAILURE_WINDOW_MS: '5000',
        KEY_RATE_LIMIT: '0',
        KEY_RATE_WINDOW_MS: '2000',
        HEALTH_TIMEOUT_MS: '250',
        TRUSTED_PROXIES: '10.0.0.1, 10.0.1.0/24',
        ALLOWED_ORIGINS: 'https://crm.example',
      },
    }).http;
    expect(http).toMatchObject({
      bodyLimitBytes: 2048,
      headersTimeoutMs: 500,
      requestTimeoutMs: 900,
      keepAliveTimeoutMs: 700,
      idleTimeoutMs: 1100,
      connectionsCheckingIntervalMs: 100,
      maxConnections: 50,
      authFailureLimit: 3,
      authFailureWindowMs: 5000,
      keyRateLimit: 0,
      keyRateWindowMs: 2000,
      healthTimeoutMs: 250,
      trustedProxies: ['10.0.0.1', '10.0.1.0/24'],
      allowedOrigins: ['https://crm.example'],
    });
    expect(() => loadConfig({ env: { HTTP_HEADERS_TIMEOUT_MS: '0' } })).toThrow(/http.headersTimeoutMs/);
    expect(() => loadConfig({ env: { HTTP_BODY_LIMIT_BYTES: '1e12' } })).toThrow(/http.bodyLimitBytes/);
    expect(() => loadConfig({ env: { TRUSTED_PROXIES: '10.0.0.1,proxy.lan,10.0.0.0/33' } })).toThrow(/http.trustedProxies.1[^]*http.trustedProxies.2/);
  });
});
