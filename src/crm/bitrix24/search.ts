import type { Bitrix24Config } from '../config.ts';
import type { BitrixClient } from './client.ts';
import { extensionOfUser } from './users.ts';

// telephony.externalCall.searchCrmEntities: who in the CRM owns a phone number, so routing can send
// an inbound call to the client's responsible employee.

export interface CrmEntityMatch {
  entityType: string;
  entityId: number;
  name: string | null;
  assignedUserId: number | null;
  /** The responsible employee's inner number as Bitrix24 knows it. */
  assignedUserPhoneInner: string | null;
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
}

export async function searchCrmEntities(client: BitrixClient, phoneNumber: string, signal?: AbortSignal): Promise<CrmEntityMatch[]> {
  const result = await client.call<unknown>('telephony.externalCall.searchCrmEntities', { PHONE_NUMBER: phoneNumber }, signal);
  if (!Array.isArray(result)) return [];
  const out: CrmEntityMatch[] = [];
  for (const item of result) {
    if (typeof item !== 'object' || item === null) continue;
    const r = item as Record<string, unknown>;
    const assigned = (typeof r.ASSIGNED_BY === 'object' && r.ASSIGNED_BY !== null ? r.ASSIGNED_BY : {}) as Record<string, unknown>;
    const entityId = Number(r.CRM_ENTITY_ID);
    const assignedUserId = Number(r.ASSIGNED_BY_ID ?? assigned.ID);
    if (!Number.isFinite(entityId)) continue;
    out.push({
      entityType: text(r.CRM_ENTITY_TYPE) ?? 'UNKNOWN',
      entityId,
      name: text(r.NAME),
      assignedUserId: Number.isInteger(assignedUserId) && assignedUserId > 0 ? assignedUserId : null,
      assignedUserPhoneInner: text(assigned.USER_PHONE_INNER) ?? text(r.USER_PHONE_INNER),
    });
  }
  return out;
}

/** The extension of the first matching entity's responsible employee, if any. */
export async function findResponsibleEmployee(
  client: BitrixClient,
  config: Bitrix24Config,
  phoneNumber: string,
  signal?: AbortSignal,
): Promise<{ userId: number; extension: string | null; entity: CrmEntityMatch } | null> {
  for (const entity of await searchCrmEntities(client, phoneNumber, signal)) {
    if (entity.assignedUserId === null) continue;
    const extension = extensionOfUser(config, entity.assignedUserId) ?? entity.assignedUserPhoneInner;
    return { userId: entity.assignedUserId, extension, entity };
  }
  return null;
}
