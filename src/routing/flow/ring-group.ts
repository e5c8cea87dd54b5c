import type { Extension, RingGroup } from '../objects/model.ts';
import { enter } from './destination.ts';
import { CAUSE, type Tx } from './ids.ts';
import { originate, type RingingPhase } from './ring.ts';
import type { Leg, Phase, RingTarget } from './state.ts';
import type { FlowContext } from './types.ts';

// Ring groups (docs/routing.md): simultaneous rings every eligible member per turn; sequential rings them one by
// one from the first; round-robin one by one from the group's nextIndex, which advances with every call. A
// member rings for its own timeoutS or the group's memberTimeoutS; totalTimeoutS bounds the whole group; then
// the fallback. The first member to answer wins (ring.ts).

type GroupTarget = Extract<RingTarget, { kind: 'ring-group' }>;

export function enterRingGroup(tx: Tx, ctx: FlowContext, group: RingGroup): Phase {
  const n = group.members.length;
  if (n === 0) return nobody(tx, ctx, group, null);
  let order = group.members.map((m) => m.extensionId);
  if (group.strategy === 'round-robin') {
    const start = ((group.nextIndex % n) + n) % n;
    order = [...order.slice(start), ...order.slice(0, start)];
    tx.emit({ type: 'ring-group-advanced', groupId: group.id, nextIndex: (start + 1) % n });
  }
  const totalTimerId = tx.timer(group.totalTimeoutS * 1000);
  return ring(tx, ctx, group, { kind: 'ring-group', groupId: group.id, order, next: 0, totalTimerId });
}

/** The current attempt is over (timer ran out, or every rung leg ended): ring the next, or give up. */
export function groupRingNext(tx: Tx, ctx: FlowContext, target: GroupTarget): Phase {
  const group = ctx.config.ringGroups.get(target.groupId);
  if (!group) {
    tx.cancelTimer(target.totalTimerId);
    return tx.end(`ring-group ${target.groupId} not found`, CAUSE.unallocated);
  }
  return ring(tx, ctx, group, target);
}

/** A rung member's leg ended unanswered; simultaneous turns go on while others still ring. */
export function groupLegGone(tx: Tx, ctx: FlowContext, phase: RingingPhase, target: GroupTarget): Phase {
  if (phase.legs.length > 0) return phase;
  tx.cancelTimer(phase.timerId);
  return groupRingNext(tx, ctx, target);
}

export function groupTotalTimeout(tx: Tx, ctx: FlowContext, target: GroupTarget): Phase {
  const group = ctx.config.ringGroups.get(target.groupId);
  if (!group) return tx.end(`ring-group ${target.groupId} not found`, CAUSE.unallocated);
  return nobody(tx, ctx, group, null);
}

function ring(tx: Tx, ctx: FlowContext, group: RingGroup, target: GroupTarget): Phase {
  const n = target.order.length;
  if (group.strategy === 'simultaneous') {
    if (target.next >= group.turns) return nobody(tx, ctx, group, target);
    const members = target.order.map((id) => eligible(tx, ctx, group, id)).filter((e) => e !== null);
    // Presence does not change within one step: a turn with nobody to ring means every turn would be the same.
    if (members.length === 0) return nobody(tx, ctx, group, target);
    return ringing(tx, group, { ...target, next: target.next + 1 }, members);
  }
  let next = target.next;
  let skippedInARow = 0;
  while (next < n * group.turns && skippedInARow < n) {
    const id = target.order[next % n] as string;
    next += 1;
    const ext = eligible(tx, ctx, group, id);
    if (ext) return ringing(tx, group, { ...target, next }, [ext]);
    skippedInARow += 1;
  }
  return nobody(tx, ctx, group, target);
}

function ringing(tx: Tx, group: RingGroup, target: GroupTarget, members: Extension[]): Phase {
  tx.step({
    kind: 'ring',
    targetType: 'ring-group',
    targetId: group.id,
    name: group.name,
    extensionIds: members.map((m) => m.id),
  });
  const legs: Leg[] = [];
  let longestS = 0;
  for (const ext of members) {
    const timeoutS = memberTimeoutS(group, ext.id);
    longestS = Math.max(longestS, timeoutS);
    legs.push(originate(tx, `PJSIP/${ext.endpoint}`, ext.id, timeoutS));
  }
  return { phase: 'ringing', target, legs, timerId: tx.timer(longestS * 1000) };
}

function memberTimeoutS(group: RingGroup, extensionId: string): number {
  return group.members.find((m) => m.extensionId === extensionId)?.timeoutS ?? group.memberTimeoutS;
}

/** The member's extension if it should ring now; otherwise a 'skipped' step says why. */
function eligible(tx: Tx, ctx: FlowContext, group: RingGroup, extensionId: string): Extension | null {
  const ext = ctx.config.extensions.get(extensionId);
  if (!ext || !ext.enabled) {
    tx.step({ kind: 'skipped', extensionId, reason: 'disabled' });
    return null;
  }
  if (!group.skipBusy) return ext;
  const presence = ctx.presence(ext.id);
  if (presence === 'unavailable') {
    tx.step({ kind: 'skipped', extensionId, reason: 'unavailable' });
    return null;
  }
  if (presence === 'in-call' || presence === 'ringing') {
    tx.step({ kind: 'skipped', extensionId, reason: 'busy' });
    return null;
  }
  return ext;
}

function nobody(tx: Tx, ctx: FlowContext, group: RingGroup, target: GroupTarget | null): Phase {
  if (target) tx.cancelTimer(target.totalTimerId);
  tx.step({ kind: 'no-answer', targetType: 'ring-group', targetId: group.id });
  tx.step({ kind: 'fallback', fromType: 'ring-group', fromId: group.id, destination: group.fallback });
  return enter(tx, ctx, group.fallback);
}
