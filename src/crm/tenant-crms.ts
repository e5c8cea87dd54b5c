import type { OutboxInsert } from '../store/types.ts';
import type { BitrixClient } from './bitrix24/client.ts';
import type { CallRecord } from '../domain/call.ts';
import type { MediaEventType } from './config.ts';
import { planDeliveries, planMediaDeliveries, type CallChange } from './plan.ts';
import type { Sink } from './sink.ts';
import { DEFAULT_TENANT, sinkPrefix, type TenantSinks } from './tenant-sinks.ts';
import type { TenantCrmSettings } from './tenant-settings.ts';

// Which tenants have a CRM and what it is: their settings (for planning) and their sinks (for the outbox
// worker). Replaced per tenant when its settings are saved; read on every plan and every claim round.

export interface TenantCrmEntry extends TenantSinks {
  tenantId: string;
  /** Names, events and modes: enough to plan, even while the secrets cannot be read. */
  settings: TenantCrmSettings;
  /** The default tenant's settings come from the environment (no stored row). */
  inherited: boolean;
  /** Why the sinks cannot deliver (CF_SECRET_UNREADABLE), or null. */
  problem: string | null;
}

export class TenantCrms {
  #entries = new Map<string, TenantCrmEntry>();
  #all: Sink[] = [];

  get(tenantId: string): TenantCrmEntry | null {
    return this.#entries.get(tenantId) ?? null;
  }

  entries(): TenantCrmEntry[] {
    return [...this.#entries.values()];
  }

  /** Replaces a tenant's CRM (null: it has none). Deliveries in flight finish on the sink they started with. */
  set(tenantId: string, entry: TenantCrmEntry | null): void {
    if (entry) this.#entries.set(tenantId, entry);
    else this.#entries.delete(tenantId);
    this.#all = this.entries().flatMap((e) => e.sinks);
  }

  /** Every tenant's sinks as they stand now. */
  sinks(): Sink[] {
    return this.#all;
  }

  /** The default tenant's Bitrix24 client (search, responsible employee), or null. */
  defaultBitrix(): BitrixClient | null {
    return this.get(DEFAULT_TENANT)?.bitrix ?? null;
  }

  /** Rows for media a call left (a recording, a voicemail message), by the settings of the call's tenant. */
  planMedia(call: CallRecord, type: MediaEventType, media: Parameters<typeof planMediaDeliveries>[3]): OutboxInsert[] {
    const tenantId = call.tenantId ?? DEFAULT_TENANT;
    const entry = this.#entries.get(tenantId);
    return entry ? planMediaDeliveries(entry.settings, call, type, media, sinkPrefix(tenantId)) : [];
  }

  /** Rows for one call change, by the settings of the call's tenant. */
  plan(change: CallChange): OutboxInsert[] {
    const tenantId = change.current.tenantId ?? DEFAULT_TENANT;
    const entry = this.#entries.get(tenantId);
    return entry ? planDeliveries(entry.settings, change, sinkPrefix(tenantId)) : [];
  }
}
