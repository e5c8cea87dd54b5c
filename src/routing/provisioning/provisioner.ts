import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { SqlClient } from '../../store/sql-client.ts';
import { pjsipObjectsFor, pjsipRemovalOf, type PjsipField, type PjsipOptions } from './pjsip-objects.ts';
import { allExtensionCredentials, extensionCredentials, openSipPassword, type ExtensionCredentials } from './sip-credentials.ts';

// Extensions made real on Asterisk (docs/routing.md, "Provisioning"): ARI push configuration writes each
// extension's PJSIP auth, AOR and endpoint into Asterisk's memory sorcery wizard, on every configured ARI
// server. A change through the API re-reads the extension and brings every server in line (pushed when it exists
// and is enabled, removed otherwise); every ARI (re)connection pushes all extensions of all tenants, since the
// memory wizard forgets at an Asterisk restart. Work on one endpoint of one server runs in order. Failures are
// logged (never with a password) and counted, and never thrown at the caller: the next change or reconnection
// tries again.

/** What the provisioner needs of an ARI server (src/ari/rest.ts). */
export interface DynamicConfigApi {
  putDynamicConfig(configClass: string, objectType: string, id: string, fields: readonly PjsipField[]): Promise<void>;
  deleteDynamicConfig(configClass: string, objectType: string, id: string): Promise<boolean>;
}

export interface PjsipProvisionerDeps {
  sql: SqlClient;
  secretsKey: Buffer;
  options: PjsipOptions;
  logger: Logger;
  registry?: Registry;
}

export interface SyncResult {
  pushed: number;
  removed: number;
  failed: number;
}

const CONFIG_CLASS = 'res_pjsip';
/** Extensions pushed at once to one server at a (re)connection. */
const SYNC_CONCURRENCY = 4;

type Outcome = 'pushed' | 'removed' | 'failed';

/** Where an endpoint stands on one server: the last push or removal's outcome, or `pending` before any. */
export interface ServerProvisioning {
  server: string;
  state: Outcome | 'pending';
}

export class PjsipProvisioner {
  private readonly servers = new Map<string, DynamicConfigApi>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly failuresTotal: Counter<'server'> | null;
  private readonly state = new Map<string, Outcome>();
  /** Failed pushes and removals since the start (also `callflow_pjsip_provisioning_failures_total`). */
  failures = 0;

  constructor(private readonly d: PjsipProvisionerDeps) {
    this.failuresTotal = d.registry
      ? new Counter({ name: 'callflow_pjsip_provisioning_failures_total', help: "Extensions' PJSIP objects that could not be pushed to or removed from Asterisk", labelNames: ['server'], registers: [d.registry] })
      : null;
  }

  addServer(name: string, api: DynamicConfigApi): void {
    this.servers.set(name, api);
  }

  /** An extension was created, changed or deleted (or its password reset): every server follows, in the background. */
  extensionChanged(tenantId: string, extensionId: string, endpoint: string): void {
    this.track(
      (async () => {
        let current: ExtensionCredentials | null;
        try {
          current = await extensionCredentials(this.d.sql, tenantId, extensionId);
        } catch (error) {
          this.d.logger.warn({ err: (error as Error).message, endpoint }, 'could not read an extension to provision it');
          return;
        }
        await Promise.all([...this.servers.keys()].map((server) => this.apply(server, endpoint, current)));
      })(),
    );
  }

  /** An ARI connection is (again) up: push every extension of every tenant to it, in the background. */
  connected(server: string): void {
    this.track(this.syncServer(server));
  }

  /** Brings one server in line with every extension stored. */
  async syncServer(server: string): Promise<SyncResult> {
    const result: SyncResult = { pushed: 0, removed: 0, failed: 0 };
    let all: ExtensionCredentials[];
    try {
      all = await allExtensionCredentials(this.d.sql);
    } catch (error) {
      this.d.logger.warn({ err: (error as Error).message, server }, 'could not read the extensions to provision');
      result.failed++;
      return result;
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < all.length) {
        const extension = all[next++]!;
        result[await this.apply(server, extension.endpoint, extension)]++;
      }
    };
    await Promise.all(Array.from({ length: SYNC_CONCURRENCY }, worker));
    this.d.logger.info({ server, ...result }, 'extensions provisioned on Asterisk');
    return result;
  }

  /** What the last push or removal of an endpoint on a server did (tests, diagnostics); undefined: nothing yet. */
  lastOutcome(server: string, endpoint: string): Outcome | undefined {
    return this.state.get(`${server}\u0000${endpoint}`);
  }

  /** The endpoint on every configured server. */
  statusOf(endpoint: string): ServerProvisioning[] {
    return [...this.servers.keys()].map((server) => ({ server, state: this.lastOutcome(server, endpoint) ?? 'pending' }));
  }

  /** Waits until the work queued so far is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(work: Promise<unknown>): void {
    const done = work.catch(() => undefined).finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /** Pushes (existing and enabled) or removes one endpoint on one server, after the work queued before on it. */
  private apply(server: string, endpoint: string, extension: ExtensionCredentials | null): Promise<Outcome> {
    const key = `${server}\u0000${endpoint}`;
    const run = async (): Promise<Outcome> => {
      const api = this.servers.get(server);
      if (!api) return 'failed';
      const push = extension !== null && extension.enabled;
      try {
        if (push) {
          if (extension.sealedPassword === null) {
            this.d.logger.warn({ server, endpoint }, 'extension has no SIP password (made before passwords were stored): reset it to provision it');
            return this.outcome(key, server, 'failed');
          }
          const password = openSipPassword(extension.sealedPassword, this.d.secretsKey);
          for (const object of pjsipObjectsFor(extension, password, this.d.options)) {
            await api.putDynamicConfig(CONFIG_CLASS, object.type, object.id, object.fields);
          }
          return this.outcome(key, server, 'pushed');
        }
        for (const object of pjsipRemovalOf(endpoint)) await api.deleteDynamicConfig(CONFIG_CLASS, object.type, object.id);
        return this.outcome(key, server, 'removed');
      } catch (error) {
        this.d.logger.warn({ server, endpoint, err: (error as Error).message }, push ? 'could not push an extension to Asterisk' : 'could not remove an extension from Asterisk');
        return this.outcome(key, server, 'failed');
      }
    };
    const previous = this.chains.get(key) ?? Promise.resolve();
    const result = previous.then(run, run);
    this.chains.set(key, result);
    void result.finally(() => {
      if (this.chains.get(key) === result) this.chains.delete(key);
    });
    return result;
  }

  private outcome(key: string, server: string, outcome: Outcome): Outcome {
    this.state.set(key, outcome);
    if (outcome === 'failed') {
      this.failures++;
      this.failuresTotal?.inc({ server });
    }
    return outcome;
  }
}
