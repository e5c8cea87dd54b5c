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
});
