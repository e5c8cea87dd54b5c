import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../app/logger.ts';
import type { CallRecord } from '../../domain/call.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import type { Originate } from '../bitrix24/click-to-call.ts';
import { BITRIX_SINK, type CrmConfig } from '../config.ts';
import type { CallChange } from '../plan.ts';
import type { OutboxInsert } from '../../store/types.ts';
import { bitrixRoutes, tenantBitrixRoutes, type Portal } from './bitrix-routes.ts';
import type { TenantCrms } from '../tenant-crms.ts';
import { sinkPrefix } from '../tenant-sinks.ts';
import { deliveryRoutes } from './delivery-routes.ts';

// Every CRM route: the delivery API, each tenant's Bitrix24 event handler, and the environment's when Bitrix24
// is configured there.

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
  /** Each tenant's CRM as it stands: its portal for the per-tenant Bitrix24 handler. */
  tenants: TenantCrms;
}

/** A tenant's Bitrix24 portal, when its settings have one and can be read. */
function portalOf(tenants: TenantCrms, tenantId: string): Portal | null {
  const entry = tenants.get(tenantId);
  if (!entry || entry.problem !== null || !entry.settings.bitrix24) return null;
  return { config: entry.settings.bitrix24, sink: sinkPrefix(tenantId) + BITRIX_SINK, tenantId };
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
    await app.register(
      tenantBitrixRoutes({ sql: deps.sql, logger: deps.logger, originate: deps.originate, wake: deps.wake, portal: (tenantId) => portalOf(deps.tenants, tenantId) }),
    );
    if (deps.config.bitrix24) {
      await app.register(
        bitrixRoutes({ sql: deps.sql, config: deps.config.bitrix24, logger: deps.logger, originate: deps.originate, wake: deps.wake }),
      );
    }
  };
}
