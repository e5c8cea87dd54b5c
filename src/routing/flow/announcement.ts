import type { Announcement } from '../objects/model.ts';
import { enter } from './destination.ts';
import { CAUSE, type Tx } from './ids.ts';
import type { Phase } from './state.ts';
import type { FlowContext, FlowEvent } from './types.ts';

// An announcement plays its prompt to the (answered) caller, then the call goes on to `next`.

export function enterAnnouncement(tx: Tx, a: Announcement): Phase {
  tx.step({ kind: 'announcement', announcementId: a.id, name: a.name });
  return { phase: 'announcement', announcementId: a.id, playbackId: tx.play(a.prompt) };
}

export function onAnnouncement(
  tx: Tx,
  ctx: FlowContext,
  phase: Extract<Phase, { phase: 'announcement' }>,
  event: FlowEvent,
): Phase {
  if (event.type !== 'playback-finished' || event.playbackId !== phase.playbackId) return phase;
  const a = ctx.config.announcements.get(phase.announcementId);
  if (!a) return tx.end(`announcement ${phase.announcementId} not found`, CAUSE.unallocated);
  return enter(tx, ctx, a.next);
}
