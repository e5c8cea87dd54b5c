import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../app/logger.ts';
import { AppError, ERROR_CODES } from '../../errors.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import { startClickToCall, type Originate } from '../bitrix24/click-to-call.ts';
import { parseBitrixEvent, parseBracketForm } from '../bitrix24/event-parse.ts';
import type { Bitrix24Config } from '../config.ts';

// The handler URL Bitrix24 posts events to (set it as the ONEXTERNALCALLSTART handler). Requests are
// authenticated by the application_token Bitrix24 sends, not by API keys (the route is declared public).

export const BITRIX_EVENTS_PATH = '/integrations/bitrix24/events';

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

export function bitrixRoutes(deps: BitrixRoutesDeps): FastifyPluginAsync {
  const expectedToken = deps.config.oauth?.applicationToken ?? deps.config.applicationToken;
  return async (app) => {
    if (!app.hasContentTypeParser(FORM)) {
      app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
        done(null, parseBracketForm(String(body)));
      });
    }

    const schema = { tags: ['integrations'], summary: 'Bitrix24 event handler: ONEXTERNALCALLSTART places a click-to-call' };
    app.post(BITRIX_EVENTS_PATH, { schema, config: { access: 'public' } }, async (req, reply) => {
      const event = parseBitrixEvent(req.body);
      if (!sameSecret(event.applicationToken, expectedToken)) {
        throw new AppError(ERROR_CODES.UNAUTHORIZED, 'unknown application_token');
      }
      if (event.kind === 'invalid') throw new AppError(ERROR_CODES.REQUEST_INVALID, `invalid Bitrix24 event: ${event.problem}`);
      if (event.kind === 'other') {
        deps.logger.debug({ event: event.event }, 'Bitrix24 event ignored');
        return { ok: true, ignored: event.event };
      }
      const placed = await startClickToCall(
        { sql: deps.sql, config: deps.config, originate: deps.originate, logger: deps.logger, wake: deps.wake },
        event.start,
      );
      reply.code(placed.duplicate ? 200 : 202);
      return { ok: true, channelId: placed.channelId, duplicate: placed.duplicate };
    });
  };
}
