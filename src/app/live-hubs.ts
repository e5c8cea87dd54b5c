import type { CallRecord } from '../domain/call.ts';
import { LiveHub, type LiveHubLimits } from './live-hub.ts';
import type { LiveMessage } from './pipeline.ts';

// One live stream for the whole engine (operators acting in no tenant) and one per tenant, made when its first
// client comes: each numbers its own changes without gaps (clients resume on seq), holds its own replay and
// snapshots only its tenant's open calls, so a tenant's client is never sent a frame of another tenant.
// A merge names two call ids and no tenant: it goes to the tenant whose call it was, known from the changes
// seen (open calls are remembered until they finish).

export class LiveHubs {
  readonly all: LiveHub;
  private readonly tenants = new Map<string, LiveHub>();
  private readonly tenantOfCall = new Map<string, string>();

  constructor(
    private readonly options: Partial<LiveHubLimits> & { openCalls: () => CallRecord[] },
  ) {
    this.all = new LiveHub(options);
  }

  /** The stream of one tenant, or of every tenant (null). */
  of(tenantId: string | null): LiveHub {
    if (tenantId === null) return this.all;
    let hub = this.tenants.get(tenantId);
    if (hub === undefined) {
      const openCalls = this.options.openCalls;
      hub = new LiveHub({ ...this.options, openCalls: () => openCalls().filter((call) => call.tenantId === tenantId) });
      this.tenants.set(tenantId, hub);
    }
    return hub;
  }

  get subscriberCount(): number {
    let count = this.all.subscriberCount;
    for (const hub of this.tenants.values()) count += hub.subscriberCount;
    return count;
  }

  publish(messages: readonly LiveMessage[]): void {
    this.all.publish(messages);
    const byTenant = new Map<string, LiveMessage[]>();
    for (const message of messages) {
      const tenantId = this.note(message);
      if (tenantId === null || !this.tenants.has(tenantId)) continue;
      let list = byTenant.get(tenantId);
      if (list === undefined) byTenant.set(tenantId, (list = []));
      list.push(message);
    }
    for (const [tenantId, list] of byTenant) this.tenants.get(tenantId)!.publish(list);
  }

  /** The tenant a message belongs to, remembering open calls' tenants for the merges that name them. */
  private note(message: LiveMessage): string | null {
    if (message.type === 'call.merged') {
      const tenantId = this.tenantOfCall.get(message.into) ?? this.tenantOfCall.get(message.from) ?? null;
      this.tenantOfCall.delete(message.from);
      return tenantId;
    }
    const { call } = message;
    if (message.type === 'call.finished') this.tenantOfCall.delete(call.id);
    else this.tenantOfCall.set(call.id, call.tenantId);
    return call.tenantId;
  }
}
