import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, ERROR_CODES } from '../../errors.ts';
import { hashPassword, needsRehash, validatePassword, verifyPassword } from '../../tenants/passwords.ts';
import { PERMISSIONS, allows } from '../../tenants/permissions.ts';
import { actorOf, type Principal } from '../../tenants/principal.ts';
import type { TenantStore } from '../../tenants/tenant-store.ts';
import { newCsrfToken, newSessionToken } from '../../tenants/tokens.ts';
import type { AuthThrottle } from '../auth-throttle.ts';
import { FAILED_TOO_OFTEN, principalOf, tooMany } from '../auth.ts';
import { CSRF_HEADER, SESSION_COOKIE } from '../authenticate.ts';
import { errorSchema } from '../schemas.ts';
import { emailSchema, passwordSchema, tenantSchema } from './account-schemas.ts';

// Logging in and out of the dashboard, and who one is:
//   POST   /api/session           e-mail and password → a session cookie (HttpOnly, SameSite=Strict) and its CSRF token
//   GET    /api/session           who the request acts as, with its tenant, permissions and CSRF token
//   DELETE /api/session           logs out (the session is deleted, the cookie cleared)
//   PUT    /api/session/tenant    an operator's session acts in another tenant (or in none)
//   POST   /api/session/password  changes one's own password; the user's other sessions end
// Logins are throttled per address (with every other failed authentication) and per account.

export interface SessionRouteDeps {
  tenants: TenantStore;
  throttle: AuthThrottle;
  /** How long a session lasts from login. */
  sessionTtlMs: number;
  /** Failed logins of one account in a window, then it is refused until the window ends. */
  accountFailureLimit: number;
  accountFailureWindowMs: number;
}

const whoSchema = z
  .object({
    kind: z.enum(['platform', 'api-key', 'user']),
    role: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    userId: z.string().nullable(),
    tenantId: z.string().nullable().describe('the tenant the request acts in; null: all (operators)'),
    tenant: tenantSchema.nullable(),
    extensions: z.array(z.string()),
    permissions: z.array(z.string()),
    csrfToken: z.string().nullable().describe(`send it as ${CSRF_HEADER} with every request that changes something`),
    open: z.boolean().describe('the API is open: no keys and no users exist yet, loopback only'),
  })
  .meta({ id: 'Session' });

const loginBody = z.object({ email: emailSchema, password: passwordSchema });
const passwordBody = z.object({ currentPassword: passwordSchema, newPassword: passwordSchema });
const tenantBody = z.object({ tenantId: z.string().min(1).max(64).nullable() });

/**
 * Scrypt costs tens of milliseconds: a login for an unknown address costs the same, so timing tells nothing.
 * Made at the first such login rather than at start-up.
 */
let dummyHash: Promise<string> | null = null;
const unknownUserHash = (): Promise<string> => (dummyHash ??= hashPassword('not a password of anyone'));

export function sessionRoutes(deps: SessionRouteDeps): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const perAccount = app.createRateLimit({
      max: deps.accountFailureLimit,
      timeWindow: deps.accountFailureWindowMs,
      keyGenerator: (request) => `login#${(request.body as { email: string }).email.toLowerCase()}`,
    });
    // Accounts past their failures, until their window ends: refused even with the right password meanwhile,
    // or a guesser would learn the password the moment it stopped getting 429s.
    const lockedUntil = new Map<string, number>();
    const lockedFor = (email: string): number | null => {
      const until = lockedUntil.get(email);
      if (until === undefined) return null;
      if (until > Date.now()) return Math.max(1, Math.ceil((until - Date.now()) / 1000));
      lockedUntil.delete(email);
      return null;
    };

    r.post(
      '/api/session',
      {
        config: { access: 'public' },
        schema: {
          tags: ['session'],
          summary: 'Log in with e-mail and password: sets the session cookie, returns who you are and the CSRF token',
          body: loginBody,
          response: { 200: whoSchema, 401: errorSchema, 429: errorSchema },
        },
      },
      async (request, reply) => {
        const wait = deps.throttle.blocked(request);
        if (wait !== null) throw tooMany(reply, wait, FAILED_TOO_OFTEN);
        const { email, password } = request.body;
        const locked = lockedFor(email.toLowerCase());
        if (locked !== null) throw tooMany(reply, locked, 'too many failed logins for this account');
        const found = await deps.tenants.findUserForLogin(email);
        const valid = await verifyPassword(password, found?.passwordHash ?? (await unknownUserHash()));
        if (found === null || !valid || found.user.status !== 'active') {
          const account = await perAccount(request);
          const blockedFor = await deps.throttle.failed(request);
          // As for addresses (auth-throttle.ts): the last failure the window allows still gets its 401.
          if (!account.isAllowed) {
            if (account.remaining === 0) {
              if (lockedUntil.size >= 10_000) lockedUntil.delete(lockedUntil.keys().next().value!);
              lockedUntil.set(email.toLowerCase(), Date.now() + account.ttl);
            }
            if (account.isExceeded) throw tooMany(reply, Math.max(1, account.ttlInSeconds), 'too many failed logins for this account');
          }
          if (blockedFor !== null) throw tooMany(reply, blockedFor, FAILED_TOO_OFTEN);
          throw new AppError(ERROR_CODES.LOGIN_FAILED, 'e-mail or password not recognised');
        }
        const { user } = found;
        if (user.tenantId !== null) {
          const tenant = await app.door.tenant(user.tenantId);
          if (tenant?.status !== 'active') throw new AppError(ERROR_CODES.TENANT_SUSPENDED, 'this tenant is suspended');
        }
        if (needsRehash(found.passwordHash)) await deps.tenants.setPasswordHash(user.id, await hashPassword(password));
        const { token, hash } = newSessionToken();
        const csrfToken = newCsrfToken();
        const expiresAt = new Date(Date.now() + deps.sessionTtlMs);
        await deps.tenants.createSession({ tokenHash: hash, userId: user.id, tenantId: user.tenantId, csrfToken, expiresAt });
        // Expired sessions are cleared as people log in: the table holds about one row per live session.
        await deps.tenants.purgeExpiredSessions(new Date());
        setSessionCookie(reply, request, token, deps.sessionTtlMs);
        void reply.header('cache-control', 'no-store');
        const principal: Principal = {
          kind: 'user',
          role: user.role,
          tenantId: user.tenantId,
          userId: user.id,
          name: user.name,
          email: user.email,
          extensions: user.extensions,
          sessionHash: hash,
          csrfToken,
        };
        return describe(app, principal, false);
      },
    );

    r.get(
      '/api/session',
      { config: { permission: 'self' }, schema: { tags: ['session'], summary: 'Who this request acts as', response: { 200: whoSchema } } },
      async (request, reply) => {
        void reply.header('cache-control', 'no-store');
        return describe(app, principalOf(request), await app.door.isOpen());
      },
    );

    r.delete(
      '/api/session',
      { config: { permission: 'self' }, schema: { tags: ['session'], summary: 'Log out: the session is deleted and its cookie cleared' } },
      async (request, reply) => {
        const principal = principalOf(request);
        if (principal.kind === 'user') {
          await deps.tenants.deleteSession(principal.sessionHash);
          app.door.forgetSession(principal.sessionHash);
        }
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.code(204).send();
      },
    );

    r.put(
      '/api/session/tenant',
      {
        config: { permission: 'tenants:manage' },
        schema: { tags: ['session'], summary: "An operator's session acts in this tenant from now on (null: all tenants)", body: tenantBody, response: { 200: whoSchema } },
      },
      async (request) => {
        const principal = principalOf(request);
        if (principal.kind !== 'user') throw new AppError(ERROR_CODES.REQUEST_INVALID, 'only a session has a tenant to switch; keys name one per request with x-tenant-id');
        const { tenantId } = request.body;
        if (tenantId !== null && (await app.door.tenant(tenantId)) === null) throw new AppError(ERROR_CODES.NOT_FOUND, `no tenant "${tenantId}"`);
        await deps.tenants.setSessionTenant(principal.sessionHash, tenantId);
        app.door.forgetSession(principal.sessionHash);
        return describe(app, { ...principal, tenantId }, false);
      },
    );

    r.post(
      '/api/session/password',
      {
        config: { permission: 'self' },
        schema: { tags: ['session'], summary: "Change one's own password; the user's other sessions end", body: passwordBody, response: { 204: z.null(), 401: errorSchema } },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        if (principal.kind !== 'user') throw new AppError(ERROR_CODES.REQUEST_INVALID, 'only users have passwords');
        const { currentPassword, newPassword } = request.body;
        const problem = validatePassword(newPassword);
        if (problem !== null) throw new AppError(ERROR_CODES.REQUEST_INVALID, problem, { details: [{ path: 'newPassword', message: problem }] });
        const found = await deps.tenants.findUserForLogin(principal.email);
        if (found === null || !(await verifyPassword(currentPassword, found.passwordHash))) {
          const blockedFor = await deps.throttle.failed(request);
          if (blockedFor !== null) throw tooMany(reply, blockedFor, FAILED_TOO_OFTEN);
          throw new AppError(ERROR_CODES.LOGIN_FAILED, 'the current password is not right');
        }
        const hash = await hashPassword(newPassword);
        await deps.tenants.transaction(async (tx) => {
          await tx.setPasswordHash(principal.userId, hash);
          await tx.deleteUserSessions(principal.userId, principal.sessionHash);
          await tx.appendAudit({ tenantId: found.user.tenantId, actor: actorOf(principal), action: 'user.password_changed', targetType: 'user', targetId: principal.userId, before: null, after: null });
        });
        app.door.forgetAllSessions();
        return reply.code(204).send(null);
      },
    );
  };
}

async function describe(app: FastifyInstance, principal: Principal, open: boolean): Promise<z.infer<typeof whoSchema>> {
  const tenant = principal.tenantId === null ? null : await app.door.tenant(principal.tenantId);
  return {
    kind: principal.kind,
    role: principal.role,
    name: principal.name,
    email: principal.kind === 'user' ? principal.email : null,
    userId: principal.kind === 'user' ? principal.userId : null,
    tenantId: principal.tenantId,
    tenant,
    extensions: principal.kind === 'user' ? [...principal.extensions] : [],
    permissions: PERMISSIONS.filter((p) => allows(principal.role, p)),
    csrfToken: principal.kind === 'user' ? principal.csrfToken : null,
    open,
  };
}

function setSessionCookie(reply: FastifyReply, request: FastifyRequest, token: string, ttlMs: number): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    // Behind TLS (directly, or a trusted proxy that says so) the cookie is never sent in the clear.
    secure: request.protocol === 'https',
    maxAge: Math.floor(ttlMs / 1000),
  });
}


