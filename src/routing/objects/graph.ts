import type { Destination, RoutingSnapshot } from './model.ts';

// The references between a tenant's routing objects (docs/routing.md): which referenced objects do not exist,
// which objects and numbers point at one (it cannot be deleted while they do), and loops a call could never
// leave. Pure: reads a snapshot, changes nothing.

/** A destination that names one of the tenant's objects (external, ai-agent and hangup name none). */
export type ObjectRef = { type: RefType; id: string };
export const REF_TYPES = ['extension', 'ring-group', 'ivr', 'schedule', 'voicemail', 'conference', 'announcement'] as const;
export type RefType = (typeof REF_TYPES)[number];

/** Something that points at an object: another object (by its type and id) or a number, and where. */
export interface Use {
  kind: RefType | 'number';
  /** The object's id, or the number. */
  id: string;
  /** The field that holds the reference: `fallback`, `options.1`, `members`, `forward.busy`, `destination`. */
  field: string;
}

/** An outgoing reference of one object or number. */
interface Edge {
  from: Use;
  to: ObjectRef;
  /** Taken by every call that reaches `from`, whatever happens (announcement.next, extension forward.always). */
  unconditional: boolean;
}

export function isObjectRef(destination: Destination): destination is ObjectRef & Destination {
  return (REF_TYPES as readonly string[]).includes(destination.type);
}

function mapOf(snapshot: RoutingSnapshot, type: RefType): ReadonlyMap<string, unknown> {
  switch (type) {
    case 'extension':
      return snapshot.extensions;
    case 'ring-group':
      return snapshot.ringGroups;
    case 'ivr':
      return snapshot.ivrMenus;
    case 'schedule':
      return snapshot.schedules;
    case 'voicemail':
      return snapshot.voicemailBoxes;
    case 'conference':
      return snapshot.conferences;
    case 'announcement':
      return snapshot.announcements;
  }
}

/** Whether the snapshot holds the object `ref` names. */
export function exists(snapshot: RoutingSnapshot, ref: ObjectRef): boolean {
  return mapOf(snapshot, ref.type).has(ref.id);
}

/** The references among `destinations` (and plain object refs) whose object the tenant does not have; each once. */
export function missingReferences(snapshot: RoutingSnapshot, destinations: readonly (Destination | ObjectRef)[]): ObjectRef[] {
  const missing = new Map<string, ObjectRef>();
  for (const destination of destinations) {
    if (!isObjectRef(destination as Destination)) continue;
    const ref = { type: destination.type as RefType, id: (destination as ObjectRef).id };
    if (!exists(snapshot, ref)) missing.set(`${ref.type}\u0000${ref.id}`, ref);
  }
  return [...missing.values()];
}

function push(edges: Edge[], from: Use, destination: Destination | null | undefined, unconditional = false): void {
  if (destination && isObjectRef(destination)) edges.push({ from, to: { type: destination.type as RefType, id: destination.id }, unconditional });
}

/** Every reference in the snapshot, from its objects and its numbers. */
export function edgesOf(snapshot: RoutingSnapshot): Edge[] {
  const edges: Edge[] = [];
  for (const route of snapshot.numbers.values()) push(edges, { kind: 'number', id: route.number, field: 'destination' }, route.destination);
  for (const ext of snapshot.extensions.values()) {
    for (const [condition, destination] of Object.entries(ext.forward)) {
      push(edges, { kind: 'extension', id: ext.id, field: `forward.${condition}` }, destination, condition === 'always');
    }
    if (ext.voicemailBoxId !== null) edges.push({ from: { kind: 'extension', id: ext.id, field: 'voicemailBoxId' }, to: { type: 'voicemail', id: ext.voicemailBoxId }, unconditional: false });
  }
  for (const group of snapshot.ringGroups.values()) {
    for (const member of group.members) edges.push({ from: { kind: 'ring-group', id: group.id, field: 'members' }, to: { type: 'extension', id: member.extensionId }, unconditional: false });
    push(edges, { kind: 'ring-group', id: group.id, field: 'fallback' }, group.fallback);
  }
  for (const menu of snapshot.ivrMenus.values()) {
    for (const [key, destination] of Object.entries(menu.options)) push(edges, { kind: 'ivr', id: menu.id, field: `options.${key}` }, destination);
    push(edges, { kind: 'ivr', id: menu.id, field: 'failover' }, menu.failover);
  }
  for (const schedule of snapshot.schedules.values()) {
    push(edges, { kind: 'schedule', id: schedule.id, field: 'open' }, schedule.open);
    push(edges, { kind: 'schedule', id: schedule.id, field: 'closed' }, schedule.closed);
  }
  for (const announcement of snapshot.announcements.values()) {
    push(edges, { kind: 'announcement', id: announcement.id, field: 'next' }, announcement.next, true);
  }
  return edges;
}

/** What points at `target`: objects and numbers, with the field that does; empty when it may be deleted. */
export function usesOf(snapshot: RoutingSnapshot, target: ObjectRef): Use[] {
  return edgesOf(snapshot)
    .filter((edge) => edge.to.type === target.type && edge.to.id === target.id)
    .filter((edge) => !(edge.from.kind === target.type && edge.from.id === target.id))
    .map((edge) => edge.from);
}

/** Every reference in the snapshot to an object it does not hold (what a consistent tenant never has). */
export function danglingReferences(snapshot: RoutingSnapshot): { from: Use; to: ObjectRef }[] {
  return edgesOf(snapshot)
    .filter((edge) => !exists(snapshot, edge.to))
    .map(({ from, to }) => ({ from, to }));
}

/**
 * A cycle made only of unconditional edges (an announcement whose next leads, through announcements and
 * always-forwards, back to itself): a call entering it would never leave. Returns the cycle's objects in
 * order, first repeated at the end, or null. Conditional edges (IVR failovers, ring group fallbacks, schedule
 * branches, no-answer forwards) are left to the flow machine's bound at run time.
 */
export function findLoop(snapshot: RoutingSnapshot): ObjectRef[] | null {
  const next = new Map<string, ObjectRef[]>();
  const key = (ref: ObjectRef) => `${ref.type}\u0000${ref.id}`;
  for (const edge of edgesOf(snapshot)) {
    if (!edge.unconditional || edge.from.kind === 'number') continue;
    const from = key({ type: edge.from.kind, id: edge.from.id });
    next.set(from, [...(next.get(from) ?? []), edge.to]);
  }
  const state = new Map<string, 'open' | 'done'>();
  const path: ObjectRef[] = [];
  const visit = (ref: ObjectRef): ObjectRef[] | null => {
    const k = key(ref);
    const seen = state.get(k);
    if (seen === 'done') return null;
    if (seen === 'open') {
      const start = path.findIndex((p) => key(p) === k);
      return [...path.slice(start), ref];
    }
    state.set(k, 'open');
    path.push(ref);
    for (const to of next.get(k) ?? []) {
      const found = visit(to);
      if (found) return found;
    }
    path.pop();
    state.set(k, 'done');
    return null;
  };
  for (const from of next.keys()) {
    const [type, id] = from.split('\u0000') as [RefType, string];
    const found = visit({ type, id });
    if (found) return found;
  }
  return null;
}
