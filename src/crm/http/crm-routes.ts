import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../app/logger.ts';
import type { CallRecord } from '../../domain/call.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import type { Originate } from '../bitrix24/click-to-call.ts';
import type { CrmConfig } from '../config.ts';
import type { CallChange } from '../plan.ts';
import type { OutboxInsert } from '../../store/types.ts';
import { bitrixRoutes } from './bitrix-routes.ts';
import { deliveryRoutes } from './delivery-routes.ts';

// Every CRM route: the delivery API, and the Bitrix24 event handler when Bitrix24 is configured.

export interface CrmRoutesDeps {
  sql: SqlClient;
  config: CrmConfig;
  logger: Logger;
  /** Places a click-to-call on the PBX. */
  originate?: Originate;
  /** Lets a replay plan deliveries for a stored call that has none. */
  getCall?: (id: string) => Promise<CallRecord | null>;
  /** The outbox worker's wake(). */
  wake?: () => void;
  /** The planner by the call's tenant's settings. */
  plan: (change: CallChange) => OutboxInsert[];
}

export function crmRoutes(deps: CrmRoutesDeps): FastifyPluginAsync {
  const { getCall } = deps;
  return async (app) => {
    await app.register(
      deliveryRoutes({
        sql: deps.sql,
        logger: deps.logger,
        wake: deps.wake,
        planCall: getCall
          ? async (id) => {
              const call = await getCall(id);
              return call ? deps.plan({ previous: null, current: call }) : null;
            }
          : undefined,
      }),
    );
    if (deps.config.bitrix24) {
      await app.register(
        bitrixRoutes({ sql: deps.sql, config: deps.config.bitrix24, logger: deps.logger, originate: deps.originate, wake: deps.wake }),
      );
    }
  };
}
