import { describe, expect, it } from 'vitest';
import { loginErrorText, parseList } from '../../web/src/lib/accounts.ts';
import { parseRoute, routeHref } from '../../web/src/lib/hash-route.ts';

/** As the dashboard's client builds them (web/src/api/client.ts, which needs a browser). */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSec: number | null = null,
  ) {
    super(message);
  }
}

describe('login errors', () => {
  it('names neither the e-mail nor the password, and gives the wait after too many tries', () => {
    expect(loginErrorText(new ApiError(401, 'CF_LOGIN_FAILED', 'e-mail or password not recognised'))).toBe('E-mail or password not recognised.');
    expect(loginErrorText(new ApiError(401, 'CF_LOGIN_FAILED', 'the current password is not right'))).toBe('The current password is not right.');
    expect(loginErrorText(new ApiError(429, 'CF_RATE_LIMITED', 'too many failed logins for this account; retry in 42 s', 42))).toBe('Too many failed attempts. Try again in 42 s.');
    // Without the header, the wait is read from the message.
    expect(loginErrorText(new ApiError(429, 'CF_RATE_LIMITED', 'too many failed logins for this account; retry in 7 s'))).toBe('Too many failed attempts. Try again in 7 s.');
    expect(loginErrorText(new ApiError(429, 'HTTP_429', 'Too Many Requests'))).toBe('Too many failed attempts. Try again later.');
    expect(loginErrorText(new ApiError(403, 'CF_TENANT_SUSPENDED', 'this tenant is suspended'))).toBe('This account’s tenant is suspended.');
  });
});

describe('account routes', () => {
  it('parses and writes the account pages', () => {
    for (const view of ['users', 'keys', 'audit', 'tenants', 'account'] as const) {
      expect(parseRoute(`#/${view}`)).toEqual({ view });
      expect(routeHref({ view })).toBe(`#/${view}`);
    }
    expect(parseRoute('#/tenants/t%2F1')).toEqual({ view: 'tenant', id: 't/1' });
    expect(routeHref({ view: 'tenant', id: 't/1' })).toBe('#/tenants/t%2F1');
  });

  it('reads extensions typed with commas or spaces', () => {
    expect(parseList(' 201, 202  203,,')).toEqual(['201', '202', '203']);
    expect(parseList('')).toEqual([]);
  });
});
