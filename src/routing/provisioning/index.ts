import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ExtensionSipDeps } from '../../api/routes/routing.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import { PjsipProvisioner } from './provisioner.ts';

// What the composition root wires for provisioning (docs/routing.md, "Provisioning"): the provisioner, to be
// given each ARI server (`addServer`) and told of each (re)connection (`connected`), and the API's SIP deps.

export interface ProvisioningSetup {
  provisioner: PjsipProvisioner;
  /** For the routing API: passwords sealed under the secrets key; changes handed to the provisioner. */
  sip: ExtensionSipDeps;
}

export function createProvisioning(options: {
  sql: SqlClient;
  secretsKey: Buffer;
  phoneContext: string;
  phoneTransport?: string | undefined;
  logger: Logger;
  registry?: Registry;
}): ProvisioningSetup {
  const provisioner = new PjsipProvisioner({
    sql: options.sql,
    secretsKey: options.secretsKey,
    options: { context: options.phoneContext, transport: options.phoneTransport ?? null },
    logger: options.logger.child({ component: 'provisioning' }),
    ...(options.registry ? { registry: options.registry } : {}),
  });
  return {
    provisioner,
    sip: {
      secretsKey: options.secretsKey,
      extensionChanged: (tenantId, extensionId, endpoint) => provisioner.extensionChanged(tenantId, extensionId, endpoint),
      statusOf: (endpoint) => provisioner.statusOf(endpoint),
    },
  };
}

export { PjsipProvisioner } from './provisioner.ts';
export { pjsipObjectsFor, generateSipPassword, DEFAULT_PHONE_CONTEXT, type PjsipOptions } from './pjsip-objects.ts';
