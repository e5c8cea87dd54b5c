import { AppError, ERROR_CODES } from '../../errors.ts';
import type { SqlClient } from '../../store/sql-client.ts';
import { guarded } from '../../store/store-errors.ts';
import { iso, jsonParam, newId, writing } from '../../tenants/repo-support.ts';
import { edgesOf, exists, findLoop, usesOf, type ObjectRef, type RefType } from './graph.ts';
import type {
  Announcement,
  ConferenceRoom,
  Destination,
  Extension,
  IvrMenu,
  NumberRoute,
  RingGroup,
  RoutingSnapshot,
  Schedule,
  VoicemailBox,
  VoicemailMessage,
} from './model.ts';
import { deleteObject, getObject, insertObject, listObjects, updateObject, type ObjectTable } from './object-repo.ts';

// A tenant's routing objects over one SqlClient (docs/routing.md): CRUD per object type, the routes of the
// tenant's numbers, round-robin positions, voicemail messages, and the snapshot the flow machine reads.
//
// Every change runs in one transaction that first locks the tenant's row, so the changes of one tenant's
// routing happen one after another: a write checks its references, internal numbers and loops against the
// tenant as it is, and no other write can invalidate that check before it commits. Refusals:
//   CF_ROUTING_INVALID_REFERENCE (422) — a destination (or member, or voicemail box) names no object of the tenant;
//   CF_ROUTING_INVALID (422)           — the change would make a loop of unconditional steps;
//   CF_ROUTING_IN_USE (409)            — deleting an object that something still points at (details: the users);
//   CF_CONFLICT (409)                  — an internal number already used in the tenant;
//   CF_NOT_FOUND (404)                 — no such tenant, object or number (another tenant's are not there).

type Stamped = 'id' | 'tenantId' | 'createdAt' | 'updatedAt';
export type ExtensionWrite = Omit<Extension, Stamped | 'endpoint'>;
export type RingGroupWrite = Omit<RingGroup, Stamped | 'nextIndex'>;
export type IvrMenuWrite = Omit<IvrMenu, Stamped>;
export type ScheduleWrite = Omit<Schedule, Stamped>;
/** pinHash undefined: an update keeps the stored one. */
export type VoicemailBoxWrite = Omit<VoicemailBox, Stamped | 'pinHash'> & { pinHash?: string | null };
export type ConferenceWrite = Omit<ConferenceRoom, Stamped | 'pinHash' | 'hostPinHash'> & { pinHash?: string | null; hostPinHash?: string | null };
export type AnnouncementWrite = Omit<Announcement, Stamped>;

/** Each object type: its model and what a create or update writes. */
export interface RoutingKinds {
  extension: [Extension, ExtensionWrite];
  'ring-group': [RingGroup, RingGroupWrite];
  ivr: [IvrMenu, IvrMenuWrite];
  schedule: [Schedule, ScheduleWrite];
  voicemail: [VoicemailBox, VoicemailBoxWrite];
  conference: [ConferenceRoom, ConferenceWrite];
  announcement: [Announcement, AnnouncementWrite];
}
export type ModelOf<K extends RefType> = RoutingKinds[K][0];
export type WriteOf<K extends RefType> = RoutingKinds[K][1];

export const TABLES: { [K in RefType]: ObjectTable<ModelOf<K>> } = {
  extension: {
    table: 'extensions',
    idPrefix: 'ext_',
    what: 'extension',
    fields: [
      { key: 'number', column: 'number', kind: 'text' },
      { key: 'name', column: 'name', kind: 'text' },
      { key: 'endpoint', column: 'endpoint', kind: 'text', createOnly: true },
      { key: 'callerIdName', column: 'caller_id_name', kind: 'text' },
      { key: 'ringTimeoutS', column: 'ring_timeout_s', kind: 'int' },
      { key: 'voicemailBoxId', column: 'voicemail_box_id', kind: 'text' },
      { key: 'forward', column: 'forward', kind: 'json' },
      { key: 'record', column: 'record', kind: 'bool' },
      { key: 'enabled', column: 'enabled', kind: 'bool' },
    ],
  },
  'ring-group': {
    table: 'ring_groups',
    idPrefix: 'rg_',
    what: 'ring group',
    fields: [
      { key: 'name', column: 'name', kind: 'text' },
      { key: 'number', column: 'number', kind: 'text' },
      { key: 'strategy', column: 'strategy', kind: 'text' },
      { key: 'members', column: 'members', kind: 'json' },
      { key: 'memberTimeoutS', column: 'member_timeout_s', kind: 'int' },
      { key: 'turns', column: 'turns', kind: 'int' },
      { key: 'totalTimeoutS', column: 'total_timeout_s', kind: 'int' },
      { key: 'skipBusy', column: 'skip_busy', kind: 'bool' },
      { key: 'fallback', column: 'fallback', kind: 'json' },
      { key: 'nextIndex', column: 'next_index', kind: 'int', createOnly: true },
    ],
  },
  ivr: {
    table: 'ivr_menus',
    idPrefix: 'ivr_',
    what: 'IVR menu',
    fields: [
      { key: 'name', column: 'name', kind: 'text' },
      { key: 'prompt', column: 'prompt', kind: 'json' },
      { key: 'options', column: 'options', kind: 'json' },
      { key: 'directDial', column: 'direct_dial', kind: 'bool' },
      { key: 'timeoutS', column: 'timeout_s', kind: 'int' },
      { key: 'interDigitTimeoutMs', column: 'inter_digit_timeout_ms', kind: 'int' },
      { key: 'invalidPrompt', column: 'invalid_prompt', kind: 'json' },
      { key: 'timeoutPrompt', column: 'timeout_prompt', kind: 'json' },
      { key: 'retries', column: 'retries', kind: 'int' },
      { key: 'failover', column: 'failover', kind: 'json' },
    ],
  },
  schedule: {
    table: 'schedules',
    idPrefix: 'sch_',
    what: 'schedule',
    fields: [
      { key: 'name', column: 'name', kind: 'text' },
      { key: 'timezone', column: 'timezone', kind: 'text' },
      { key: 'weekly', column: 'weekly', kind: 'json' },
      { key: 'exceptions', column: 'exceptions', kind: 'json' },
      { key: 'open', column: 'open', kind: 'json' },
      { key: 'closed', column: 'closed', kind: 'json' },
    ],
  },
  voicemail: {
    table: 'voicemail_boxes',
    idPrefix: 'vm_',
    what: 'voicemail box',
    fields: [
      { key: 'number', column: 'number', kind: 'text' },
      { key: 'name', column: 'name', kind: 'text' },
      { key: 'greeting', column: 'greeting', kind: 'json' },
      { key: 'maxMessageS', column: 'max_message_s', kind: 'int' },
      { key: 'pinHash', column: 'pin_hash', kind: 'text' },
    ],
  },
  conference: {
    table: 'conference_rooms',
    idPrefix: 'conf_',
    what: 'conference room',
    fields: [
      { key: 'name', column: 'name', kind: 'text' },
      { key: 'number', column: 'number', kind: 'text' },
      { key: 'pinHash', column: 'pin_hash', kind: 'text' },
      { key: 'hostPinHash', column: 'host_pin_hash', kind: 'text' },
      { key: 'waitForHost', column: 'wait_for_host', kind: 'bool' },
      { key: 'muteOnEntry', column: 'mute_on_entry', kind: 'bool' },
      { key: 'maxParticipants', column: 'max_participants', kind: 'int' },
      { key: 'announceJoinLeave', column: 'announce_join_leave', kind: 'bool' },
      { key: 'record', column: 'record', kind: 'bool' },
    ],
  },
  announcement: {
    table: 'announcements',
    idPrefix: 'ann_',
    what: 'announcement',
    fields: [
      { key: 'name', column: 'name', kind: 'text' },
      { key: 'prompt', column: 'prompt', kind: 'json' },
      { key: 'next', column: 'next', kind: 'json' },
    ],
  },
};

/** Where each type sits in a snapshot. */
const SNAPSHOT_KEY = {
  extension: 'extensions',
  'ring-group': 'ringGroups',
  ivr: 'ivrMenus',
  schedule: 'schedules',
  voicemail: 'voicemailBoxes',
  conference: 'conferences',
  announcement: 'announcements',
} as const satisfies Record<RefType, keyof RoutingSnapshot>;

/** Types whose internal number callers dial: one number, one of them, in a tenant. */
const DIALLED: readonly RefType[] = ['extension', 'ring-group', 'conference'];

interface NumberRow {
  number: string;
  tenant_id: string;
  label: string | null;
  destination: Destination | null;
  record: boolean;
}

export type NumberRouteView = NumberRoute & { label: string | null };

interface MessageRow {
  id: string;
  tenant_id: string;
  box_id: string;
  call_id: string | null;
  from_number: string | null;
  duration_s: number;
  recording_id: string;
  heard: boolean;
  created_at: Date;
}

const MESSAGE_COLUMNS = 'id, tenant_id, box_id, call_id, from_number, duration_s, recording_id, heard, created_at';
const toMessage = (row: MessageRow): VoicemailMessage => ({
  id: row.id,
  tenantId: row.tenant_id,
  boxId: row.box_id,
  callId: row.call_id,
  from: row.from_number,
  durationS: Number(row.duration_s),
  recordingId: row.recording_id,
  heard: row.heard,
  createdAt: iso(row.created_at),
});

export interface NewVoicemailMessage {
  callId: string | null;
  from: string | null;
  durationS: number;
  recordingId: string;
}

export const MAX_MESSAGES_PAGE = 500;

function notFound(what: string, id: string): AppError {
  return new AppError(ERROR_CODES.NOT_FOUND, `no ${what} "${id}"`);
}

export class RoutingStore {
  /** `inTransaction`: bound to an open transaction (by transaction()). */
  constructor(
    readonly sql: SqlClient,
    private readonly inTransaction = false,
  ) {}

  /** Runs `fn` in one transaction with a store bound to it; rolls back when `fn` throws. Nested calls join. */
  transaction<T>(fn: (tx: RoutingStore) => Promise<T>): Promise<T> {
    return this.inTransaction ? fn(this) : this.sql.transaction((tx) => fn(new RoutingStore(tx, true)));
  }

  list<K extends RefType>(kind: K, tenantId: string): Promise<ModelOf<K>[]> {
    return listObjects(this.sql, TABLES[kind] as ObjectTable<ModelOf<K>>, tenantId);
  }

  get<K extends RefType>(kind: K, tenantId: string, id: string): Promise<ModelOf<K> | null> {
    return getObject(this.sql, TABLES[kind] as ObjectTable<ModelOf<K>>, tenantId, id);
  }

  /** Creates an object after checking it against the tenant's routing (see the refusals above). */
  create<K extends RefType>(kind: K, tenantId: string, input: WriteOf<K>): Promise<ModelOf<K>> {
    return this.transaction(async (tx) => {
      const slug = await tx.lockTenant(tenantId);
      const snapshot = await tx.snapshot(tenantId);
      const values: Record<string, unknown> = { ...input };
      if (kind === 'extension') values.endpoint = `${slug}-${(input as ExtensionWrite).number}`;
      if (kind === 'ring-group') values.nextIndex = 0;
      checkChange(snapshot, kind, { ...values, id: '\u0000new' } as unknown as ModelOf<K>);
      return insertObject(tx.sql, TABLES[kind] as ObjectTable<ModelOf<K>>, tenantId, values, { conflict: numberTaken(kind) });
    });
  }

  /** Replaces an object as a whole (PINs left undefined stay); null when the tenant has no such object. */
  update<K extends RefType>(kind: K, tenantId: string, id: string, input: WriteOf<K>): Promise<ModelOf<K> | null> {
    return this.transaction(async (tx) => {
      await tx.lockTenant(tenantId);
      const snapshot = await tx.snapshot(tenantId);
      const before = (snapshot[SNAPSHOT_KEY[kind]] as ReadonlyMap<string, ModelOf<K>>).get(id);
      if (before === undefined) return null;
      const merged = { ...before, ...definedOnly(input as Record<string, unknown>) } as ModelOf<K>;
      checkChange(snapshot, kind, merged);
      // A round-robin position past the end of a shorter member list starts over.
      const extra = kind === 'ring-group' ? [`next_index = CASE WHEN next_index < ${(input as RingGroupWrite).members.length} THEN next_index ELSE 0 END`] : [];
      return updateObject(tx.sql, TABLES[kind] as ObjectTable<ModelOf<K>>, tenantId, id, input as Record<string, unknown>, { conflict: numberTaken(kind) }, extra);
    });
  }

  /** Deletes an object nothing points at; CF_ROUTING_IN_USE (details: what points at it) otherwise. */
  delete(kind: RefType, tenantId: string, id: string): Promise<boolean> {
    return this.transaction(async (tx) => {
      await tx.lockTenant(tenantId);
      const snapshot = await tx.snapshot(tenantId);
      if (!exists(snapshot, { type: kind, id })) return false;
      const uses = usesOf(snapshot, { type: kind, id });
      if (uses.length > 0) {
        throw new AppError(ERROR_CODES.ROUTING_IN_USE, `the ${TABLES[kind].what} "${id}" is in use: change what points at it first`, { details: uses });
      }
      return deleteObject(tx.sql, TABLES[kind], tenantId, id);
    });
  }

  /**
   * Everything of one tenant's routing, with its time zone, as of one moment (its queries read one
   * REPEATABLE READ snapshot of the database; inside a routing write, the tenant's lock keeps it still);
   * CF_NOT_FOUND for an unknown tenant.
   */
  snapshot(tenantId: string): Promise<RoutingSnapshot> {
    if (this.inTransaction) return this.loadSnapshot(tenantId);
    return this.sql.transaction(async (tx) => {
      await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return new RoutingStore(tx, true).loadSnapshot(tenantId);
    });
  }

  private async loadSnapshot(tenantId: string): Promise<RoutingSnapshot> {
    const [tenant] = await guarded('routing snapshot', () => this.sql.query<{ timezone: string }>('SELECT timezone FROM tenants WHERE id = $1', [tenantId]));
    if (!tenant) throw notFound('tenant', tenantId);
    const byId = <T extends { id: string }>(items: T[]) => new Map(items.map((item) => [item.id, item]));
    const numbers = await this.listNumberRoutes(tenantId);
    return {
      tenantId,
      timezone: tenant.timezone,
      numbers: new Map(numbers.map(({ label: _label, ...route }) => [route.number, route])),
      extensions: byId(await this.list('extension', tenantId)),
      ringGroups: byId(await this.list('ring-group', tenantId)),
      ivrMenus: byId(await this.list('ivr', tenantId)),
      schedules: byId(await this.list('schedule', tenantId)),
      voicemailBoxes: byId(await this.list('voicemail', tenantId)),
      conferences: byId(await this.list('conference', tenantId)),
      announcements: byId(await this.list('announcement', tenantId)),
    };
  }

  // Numbers

  /** The tenant's numbers (those the operator gave it) with their routes. */
  async listNumberRoutes(tenantId: string): Promise<NumberRouteView[]> {
    const rows = await guarded('listNumberRoutes', () =>
      this.sql.query<NumberRow>('SELECT number, tenant_id, label, destination, record FROM tenant_numbers WHERE tenant_id = $1 ORDER BY number', [tenantId]),
    );
    return rows.map((row) => ({ number: row.number, tenantId: row.tenant_id, label: row.label, destination: row.destination ?? null, record: row.record }));
  }

  /** The tenant that owns `number` (the operator's assignment), or null. */
  async tenantOfNumber(number: string): Promise<string | null> {
    const [row] = await guarded('tenantOfNumber', () => this.sql.query<{ tenant_id: string }>('SELECT tenant_id FROM tenant_numbers WHERE number = $1', [number]));
    return row?.tenant_id ?? null;
  }

  /** The tenant of the enabled extension whose PJSIP endpoint this is, or null. */
  async tenantOfEndpoint(endpoint: string): Promise<string | null> {
    const [row] = await guarded('tenantOfEndpoint', () =>
      this.sql.query<{ tenant_id: string }>('SELECT tenant_id FROM extensions WHERE endpoint = $1 AND enabled', [endpoint]),
    );
    return row?.tenant_id ?? null;
  }

  /** Sets where a number the tenant owns goes; null when the tenant does not own it. */
  setNumberRoute(tenantId: string, number: string, destination: Destination | null, record: boolean): Promise<NumberRouteView | null> {
    return this.transaction(async (tx) => {
      await tx.lockTenant(tenantId);
      const snapshot = await tx.snapshot(tenantId);
      if (!snapshot.numbers.has(number)) return null;
      const routes = new Map(snapshot.numbers);
      routes.set(number, { tenantId, number, destination, record });
      checkReferences({ ...snapshot, numbers: routes }, { kind: 'number', id: number });
      const [row] = await writing('setNumberRoute', {}, () =>
        tx.sql.query<NumberRow>(
          'UPDATE tenant_numbers SET destination = $3::jsonb, record = $4 WHERE tenant_id = $1 AND number = $2 RETURNING number, tenant_id, label, destination, record',
          [tenantId, number, jsonParam(destination), record],
        ),
      );
      return row ? { number: row.number, tenantId: row.tenant_id, label: row.label, destination: row.destination ?? null, record: row.record } : null;
    });
  }

  // Ring groups

  /** Round-robin: the member the next call rings first; false when the tenant has no such group. */
  async advanceRoundRobin(tenantId: string, groupId: string, nextIndex: number): Promise<boolean> {
    if (!Number.isInteger(nextIndex) || nextIndex < 0) throw new AppError(ERROR_CODES.REQUEST_INVALID, 'a ring group index is a whole number, 0 or more', { details: [{ field: 'nextIndex' }] });
    const rows = await guarded('advanceRoundRobin', () =>
      this.sql.query(
        // An index past the end (the members changed meanwhile) starts over.
        `UPDATE ring_groups SET next_index = CASE WHEN $3::int < jsonb_array_length(members) THEN $3::int ELSE 0 END
         WHERE tenant_id = $1 AND id = $2 RETURNING id`,
        [tenantId, groupId, nextIndex],
      ),
    );
    return rows.length > 0;
  }

  // Voicemail messages

  /** A box's messages, newest first; null when the tenant has no such box. */
  async listMessages(tenantId: string, boxId: string, limit = MAX_MESSAGES_PAGE): Promise<VoicemailMessage[] | null> {
    if ((await this.get('voicemail', tenantId, boxId)) === null) return null;
    const rows = await guarded('listMessages', () =>
      this.sql.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM voicemail_messages WHERE tenant_id = $1 AND box_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`, [
        tenantId,
        boxId,
        Math.min(Math.max(Math.trunc(limit), 1), MAX_MESSAGES_PAGE),
      ]),
    );
    return rows.map(toMessage);
  }

  /** A message left in a box (the runtime, after a recording); CF_NOT_FOUND when the tenant has no such box. */
  async addMessage(tenantId: string, boxId: string, message: NewVoicemailMessage): Promise<VoicemailMessage> {
    const [row] = await writing('addMessage', {}, () =>
      this.sql.query<MessageRow>(
        `INSERT INTO voicemail_messages (id, tenant_id, box_id, call_id, from_number, duration_s, recording_id)
         SELECT $1, $2, b.id, $4, $5, $6, $7 FROM voicemail_boxes b WHERE b.tenant_id = $2 AND b.id = $3
         RETURNING ${MESSAGE_COLUMNS}`,
        [newId('vmm_'), tenantId, boxId, message.callId, message.from, Math.max(0, Math.trunc(message.durationS)), message.recordingId],
      ),
    );
    if (!row) throw notFound('voicemail box', boxId);
    return toMessage(row);
  }

  async getMessage(tenantId: string, boxId: string, id: string): Promise<VoicemailMessage | null> {
    const [row] = await guarded('getMessage', () =>
      this.sql.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM voicemail_messages WHERE tenant_id = $1 AND box_id = $2 AND id = $3`, [tenantId, boxId, id]),
    );
    return row ? toMessage(row) : null;
  }

  async markHeard(tenantId: string, boxId: string, id: string, heard: boolean): Promise<VoicemailMessage | null> {
    const [row] = await guarded('markHeard', () =>
      this.sql.query<MessageRow>(`UPDATE voicemail_messages SET heard = $4 WHERE tenant_id = $1 AND box_id = $2 AND id = $3 RETURNING ${MESSAGE_COLUMNS}`, [
        tenantId,
        boxId,
        id,
        heard,
      ]),
    );
    return row ? toMessage(row) : null;
  }

  async deleteMessage(tenantId: string, boxId: string, id: string): Promise<boolean> {
    const rows = await guarded('deleteMessage', () =>
      this.sql.query('DELETE FROM voicemail_messages WHERE tenant_id = $1 AND box_id = $2 AND id = $3 RETURNING id', [tenantId, boxId, id]),
    );
    return rows.length > 0;
  }

  /** Locks the tenant's row for the rest of the transaction (one routing change at a time); its slug. */
  private async lockTenant(tenantId: string): Promise<string> {
    const [row] = await guarded('lock tenant', () => this.sql.query<{ slug: string }>('SELECT slug FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]));
    if (!row) throw notFound('tenant', tenantId);
    return row.slug;
  }
}

function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

function numberTaken(kind: RefType) {
  return { message: `another ${TABLES[kind].what} of the tenant has this number`, field: 'number' };
}

/**
 * Checks `candidate` (an object of `kind` as it would be stored) against the rest of the tenant: its
 * references exist, its internal number is no other dialled object's, and it makes no unconditional loop.
 */
export function checkChange<K extends RefType>(snapshot: RoutingSnapshot, kind: K, candidate: ModelOf<K>): void {
  const key = SNAPSHOT_KEY[kind];
  const objects = new Map(snapshot[key] as ReadonlyMap<string, ModelOf<K>>);
  objects.set(candidate.id, candidate);
  const next = { ...snapshot, [key]: objects } as RoutingSnapshot;
  checkReferences(next, { kind, id: candidate.id });
  const number = (candidate as { number?: string | null }).number;
  if (DIALLED.includes(kind) && typeof number === 'string') {
    for (const other of DIALLED) {
      if (other === kind) continue;
      for (const object of (next[SNAPSHOT_KEY[other]] as ReadonlyMap<string, { number: string | null }>).values()) {
        if (object.number === number) {
          throw new AppError(ERROR_CODES.CONFLICT, `the number ${number} is already dialled for a ${TABLES[other].what} of the tenant`, { details: [{ field: 'number' }] });
        }
      }
    }
  }
  const loop = findLoop(next);
  if (loop !== null) {
    const shown = loop.map((ref) => (ref.id === candidate.id ? { ...ref, id: ref.id.startsWith('\u0000') ? '(this one)' : ref.id } : ref));
    throw new AppError(ERROR_CODES.ROUTING_INVALID, `a call would go round forever: ${shown.map((ref) => `${ref.type} ${ref.id}`).join(' → ')}`, {
      details: [{ field: kind === 'announcement' ? 'next' : 'forward.always', loop: shown }],
    });
  }
}

/** CF_ROUTING_INVALID_REFERENCE when one of `from`'s references names no object of the tenant. */
function checkReferences(snapshot: RoutingSnapshot, from: { kind: RefType | 'number'; id: string }): void {
  const missing = edgesOf(snapshot).filter((edge) => edge.from.kind === from.kind && edge.from.id === from.id && !exists(snapshot, edge.to));
  if (missing.length === 0) return;
  const details = missing.map((edge) => ({ field: edge.from.field, type: edge.to.type, id: edge.to.id }));
  throw new AppError(
    ERROR_CODES.ROUTING_INVALID_REFERENCE,
    `no such ${details.map((d) => `${d.type} "${d.id}"`).join(', ')} in the tenant`,
    { details },
  );
}

export type { ObjectRef };
