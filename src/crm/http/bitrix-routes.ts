import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Logger } from '../../app/logger.ts';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import { startClickToCall, type Originate } from '../bitrix24/click-to-call.ts';
import { parseBitrixEvent, parseBracketForm } from '../bitrix24/event-parse.ts';
import { BITRIX_SINK, type Bitrix24Config } from '../config.ts';
import { DEFAULT_TENANT } from '../tenant-sinks.ts';

// The handler URL Bitrix24 posts events to (set it as the ONEXTERNALCALLSTART handler). Requests are
// authenticated by the application_token Bitrix24 sends, not by API keys (the route is declared public).

export const BITRIX_EVENTS_PATH = '/integrations/bitrix24/events';
/** A tenant's portal posts here instead (the default tenant's uses BITRIX_EVENTS_PATH). */
export const TENANT_BITRIX_EVENTS_PATH = '/integrations/bitrix24/:tenantId/events';

export interface BitrixRoutesDeps {
  sql: SqlClient;
  config: Bitrix24Config;
  logger: Logger;
  /** Places a call on the PBX; without it every click-to-call is finished as failed and answered 503. */
  originate?: Originate;
  wake?: () => void;
}

const FORM = 'application/x-www-form-urlencoded';

function sameSecret(given: string | null, expected: string | undefined): boolean {
  if (!given || !expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A portal's settings and the sink its calls are filed under. */
export interface Portal {
  config: Bitrix24Config;
  sink: string;
  tenantId: string;
}

function registerFormParser(app: Parameters<FastifyPluginAsync>[0]): void {
  if (!app.hasContentTypeParser(FORM)) {
    app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
      done(null, parseBracketForm(String(body)));
    });
  }
}

/** One Bitrix24 event from `portal` (null: none there): authenticated by its application_token, then acted on. */
async function handleEvent(deps: Omit<BitrixRoutesDeps, 'config'>, portal: Portal | null, body: unknown, reply: FastifyReply): Promise<unknown> {
  const event = parseBitrixEvent(body);
  const expectedToken = portal ? (portal.config.oauth?.applicationToken ?? portal.config.applicationToken) : undefined;
  // An unknown tenant, one without Bitrix24 and a wrong token get the same answer: nothing to learn by probing.
  if (!sameSecret(event.applicationToken, expectedToken) || portal === null) {
    throw new AppError(ERROR_CODES.UNAUTHORIZED, 'unknown application_token');
  }
  if (event.kind === 'invalid') throw new AppError(ERROR_CODES.REQUEST_INVALID, `invalid Bitrix24 event: ${event.problem}`);
  if (event.kind === 'other') {
    deps.logger.debug({ event: event.event }, 'Bitrix24 event ignored');
    return { ok: true, ignored: event.event };
  }
  const placed = await startClickToCall(
    { sql: deps.sql, config: portal.config, originate: deps.originate, logger: deps.logger, wake: deps.wake, sink: portal.sink, tenantId: portal.tenantId },
    event.start,
  );
  reply.code(placed.duplicate ? 200 : 202);
  return { ok: true, channelId: placed.channelId, duplicate: placed.duplicate };
}

export function bitrixRoutes(deps: BitrixRoutesDeps): FastifyPluginAsync {
  const portal: Portal = { config: deps.config, sink: BITRIX_SINK, tenantId: DEFAULT_TENANT };
  return async (app) => {
    registerFormParser(app);
    const schema = { tags: ['integrations'], summary: 'Bitrix24 event handler: ONEXTERNALCALLSTART places a click-to-call' };
    app.post(BITRIX_EVENTS_PATH, { schema, config: { access: 'public' } }, async (req, reply) => handleEvent(deps, portal, req.body, reply));
  };
}

/** The handler of each tenant's own portal, by the tenant's stored CRM settings as they stand now. */
export function tenantBitrixRoutes(deps: Omit<BitrixRoutesDeps, 'config'> & { portal: (tenantId: string) => Portal | null }): FastifyPluginAsync {
  return async (app) => {
    registerFormParser(app);
    const schema = {
      tags: ['integrations'],
      summary: "A tenant's Bitrix24 event handler (set as its portal's ONEXTERNALCALLSTART handler)",
      params: z.object({ tenantId: z.string().min(1).max(64) }),
    };
    app.withTypeProvider<ZodTypeProvider>().post(TENANT_BITRIX_EVENTS_PATH, { schema, config: { access: 'public' } }, async (req, reply) =>
      handleEvent(deps, deps.portal(req.params.tenantId), req.body, reply),
    );
  };
}
