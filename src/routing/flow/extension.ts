import type { Extension, ForwardCondition } from '../objects/model.ts';
import { enter } from './destination.ts';
import { CAUSE, type Tx } from './ids.ts';
import { originate, type LegOutcome } from './ring.ts';
import type { Phase } from './state.ts';
import type { FlowContext } from './types.ts';

// An extension (docs/routing.md): forward.always before anything; a disabled or unavailable phone takes the
// unreachable rule, a phone in a call or ringing the busy rule, otherwise it rings for ringTimeoutS and the
// no-answer rule applies. Each rule: its forward destination, else the extension's voicemail, else hang up.

const CAUSES: Record<LegOutcome, number> = { busy: CAUSE.busy, noAnswer: CAUSE.noAnswer, unreachable: CAUSE.absent };
const WORDS: Record<LegOutcome, string> = { busy: 'busy', noAnswer: 'no answer', unreachable: 'unreachable' };

export function enterExtension(tx: Tx, ctx: FlowContext, ext: Extension): Phase {
  const always = ext.forward.always;
  if (always) {
    tx.step({ kind: 'forward', extensionId: ext.id, condition: 'always', destination: always });
    return enter(tx, ctx, always);
  }
  if (!ext.enabled) {
    tx.step({ kind: 'skipped', extensionId: ext.id, reason: 'disabled' });
    return rule(tx, ctx, ext, 'unreachable');
  }
  const presence = ctx.presence(ext.id);
  switch (presence) {
    case 'unavailable':
      tx.step({ kind: 'skipped', extensionId: ext.id, reason: 'unavailable' });
      return rule(tx, ctx, ext, 'unreachable');
    case 'in-call':
    case 'ringing':
      tx.step({ kind: 'skipped', extensionId: ext.id, reason: 'busy' });
      return rule(tx, ctx, ext, 'busy');
    case 'idle':
      break;
    default: {
      const never: never = presence;
      return never;
    }
  }
  tx.step({ kind: 'ring', targetType: 'extension', targetId: ext.id, name: ext.name, extensionIds: [ext.id] });
  const leg = originate(tx, `PJSIP/${ext.endpoint}`, ext.id, ext.ringTimeoutS);
  return {
    phase: 'ringing',
    target: { kind: 'extension', extensionId: ext.id },
    legs: [leg],
    timerId: tx.timer(ext.ringTimeoutS * 1000),
  };
}

/** The extension's phone did not take the call (its leg and timer are already released). */
export function extensionOutcome(tx: Tx, ctx: FlowContext, extensionId: string, outcome: LegOutcome): Phase {
  const ext = ctx.config.extensions.get(extensionId);
  if (!ext) return tx.end(`extension ${extensionId} not found`, CAUSE.unallocated);
  if (outcome === 'noAnswer') tx.step({ kind: 'no-answer', targetType: 'extension', targetId: ext.id });
  else tx.step({ kind: 'skipped', extensionId: ext.id, reason: outcome === 'busy' ? 'busy' : 'unavailable' });
  return rule(tx, ctx, ext, outcome);
}

function rule(tx: Tx, ctx: FlowContext, ext: Extension, condition: Exclude<ForwardCondition, 'always'>): Phase {
  const forward = ext.forward[condition];
  if (forward) {
    tx.step({ kind: 'forward', extensionId: ext.id, condition, destination: forward });
    return enter(tx, ctx, forward);
  }
  if (ext.voicemailBoxId !== null) {
    const voicemail = { type: 'voicemail', id: ext.voicemailBoxId } as const;
    tx.step({ kind: 'fallback', fromType: 'extension', fromId: ext.id, destination: voicemail });
    return enter(tx, ctx, voicemail);
  }
  return tx.end(`${ext.name}: ${WORDS[condition]}`, CAUSES[condition]);
}
