import type { Destination } from '../objects/model.ts';
import { scheduleBranch } from '../objects/schedule.ts';
import { enterAnnouncement } from './announcement.ts';
import { enterConference } from './conference.ts';
import { enterExtension } from './extension.ts';
import { CAUSE, type Tx } from './ids.ts';
import { enterIvr } from './ivr.ts';
import { enterExternal } from './ring.ts';
import { enterRingGroup } from './ring-group.ts';
import { MAX_DESTINATIONS, type Phase } from './state.ts';
import type { FlowContext } from './types.ts';
import { enterVoicemail } from './voicemail.ts';

// Resolving a Destination into the call's next phase. Every entry counts against MAX_DESTINATIONS, so a loop
// (IVR → IVR, a forward chain that comes back) is cut instead of routed forever.

export function enter(tx: Tx, ctx: FlowContext, dest: Destination): Phase {
  tx.hops += 1;
  if (tx.hops > MAX_DESTINATIONS) {
    tx.step({ kind: 'loop-cut', destination: dest });
    return tx.end(`loop cut after ${MAX_DESTINATIONS} destinations`, CAUSE.normal);
  }
  const c = ctx.config;
  switch (dest.type) {
    case 'extension': {
      const ext = c.extensions.get(dest.id);
      return ext ? enterExtension(tx, ctx, ext) : missing(tx, dest);
    }
    case 'ring-group': {
      const group = c.ringGroups.get(dest.id);
      return group ? enterRingGroup(tx, ctx, group) : missing(tx, dest);
    }
    case 'ivr': {
      const menu = c.ivrMenus.get(dest.id);
      return menu ? enterIvr(tx, menu, 0) : missing(tx, dest);
    }
    case 'schedule': {
      const schedule = c.schedules.get(dest.id);
      if (!schedule) return missing(tx, dest);
      const { branch, reason } = scheduleBranch(schedule, c.timezone, ctx.now);
      tx.step({ kind: 'schedule', scheduleId: schedule.id, name: schedule.name, branch, reason });
      return enter(tx, ctx, branch === 'open' ? schedule.open : schedule.closed);
    }
    case 'voicemail': {
      const box = c.voicemailBoxes.get(dest.id);
      return box ? enterVoicemail(tx, box) : missing(tx, dest);
    }
    case 'conference': {
      const room = c.conferences.get(dest.id);
      return room ? enterConference(tx, ctx, room) : missing(tx, dest);
    }
    case 'announcement': {
      const a = c.announcements.get(dest.id);
      return a ? enterAnnouncement(tx, a) : missing(tx, dest);
    }
    case 'external':
      return enterExternal(tx, ctx, dest.number);
    case 'ai-agent':
      // Built by the AI agents issue; until then the call ends audibly rather than waiting in silence.
      return tx.end('AI agent not available', CAUSE.normal);
    case 'hangup':
      return tx.end('route ends the call', CAUSE.normal);
    default: {
      const never: never = dest;
      return never;
    }
  }
}

/** A reference to an object that no longer exists (validation refuses it; a stale snapshot may still hold it). */
function missing(tx: Tx, dest: Destination & { id: string }): Phase {
  return tx.end(`${dest.type} ${dest.id} not found`, CAUSE.unallocated);
}
