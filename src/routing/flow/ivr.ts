import type { DtmfKey, IvrMenu } from '../objects/model.ts';
import { enter } from './destination.ts';
import { CAUSE, type Tx } from './ids.ts';
import type { Phase } from './state.ts';
import type { FlowContext, FlowEvent } from './types.ts';

// IVR menus: play the prompt, take one key (or, with directDial, an extension number ended by '#' or the
// inter-digit timeout), retry a timeout or an invalid entry `retries` times, then the failover. A key pressed
// during any of the menu's prompts stops it (barge-in) and counts as input.

type IvrPhase = Extract<Phase, { phase: 'ivr-playing' | 'ivr-collecting' }>;

export function enterIvr(tx: Tx, menu: IvrMenu, attempt: number): Phase {
  tx.step({ kind: 'ivr-prompt', menuId: menu.id, name: menu.name });
  return { phase: 'ivr-playing', menuId: menu.id, playbackId: tx.play(menu.prompt), attempt, then: 'collect' };
}

export function onIvr(tx: Tx, ctx: FlowContext, phase: IvrPhase, event: FlowEvent): Phase {
  const menu = ctx.config.ivrMenus.get(phase.menuId);
  // The menu was deleted under a live call: end it rather than guess.
  if (!menu) return tx.end(`ivr ${phase.menuId} not found`, CAUSE.unallocated);
  if (phase.phase === 'ivr-playing') {
    if (event.type === 'playback-finished' && event.playbackId === phase.playbackId) {
      if (phase.then === 'replay') return enterIvr(tx, menu, phase.attempt);
      return collecting(tx, menu, phase.attempt, '', menu.timeoutS * 1000);
    }
    if (event.type === 'dtmf' && event.channelId === tx.call.callerChannelId) {
      tx.emit({ type: 'stop-playback', playbackId: phase.playbackId });
      return onDigit(tx, ctx, menu, phase.attempt, '', event.digit);
    }
    return phase;
  }
  if (event.type === 'dtmf' && event.channelId === tx.call.callerChannelId) {
    tx.cancelTimer(phase.timerId);
    return onDigit(tx, ctx, menu, phase.attempt, phase.digits, event.digit);
  }
  if (event.type === 'timer' && event.timerId === phase.timerId) {
    return phase.digits === '' ? failure(tx, ctx, menu, phase.attempt, 'timeout', '') : resolve(tx, ctx, menu, phase.attempt, phase.digits);
  }
  return phase;
}

function collecting(tx: Tx, menu: IvrMenu, attempt: number, digits: string, ms: number): Phase {
  return { phase: 'ivr-collecting', menuId: menu.id, attempt, digits, timerId: tx.timer(ms) };
}

function onDigit(tx: Tx, ctx: FlowContext, menu: IvrMenu, attempt: number, digits: string, digit: string): Phase {
  // '#' ends a multi-digit entry; alone, it is an option like any other key.
  if (digit === '#' && digits !== '') return resolve(tx, ctx, menu, attempt, digits);
  const entry = digits + digit;
  if (menu.directDial && extensionNumbers(ctx).some((n) => n.length > entry.length && n.startsWith(entry))) {
    // An extension number could still follow: wait for the next key. A single key that is also an option is
    // taken when the inter-digit timer runs out (resolve).
    return collecting(tx, menu, attempt, entry, menu.interDigitTimeoutMs);
  }
  return resolve(tx, ctx, menu, attempt, entry);
}

function resolve(tx: Tx, ctx: FlowContext, menu: IvrMenu, attempt: number, digits: string): Phase {
  const option = digits.length === 1 ? menu.options[digits as DtmfKey] : undefined;
  if (option) {
    tx.step({ kind: 'ivr-choice', menuId: menu.id, name: menu.name, digits, result: 'option' });
    return enter(tx, ctx, option);
  }
  if (menu.directDial) {
    const ext = [...ctx.config.extensions.values()].find((e) => e.number === digits);
    if (ext) {
      tx.step({ kind: 'ivr-choice', menuId: menu.id, name: menu.name, digits, result: 'direct-dial' });
      return enter(tx, ctx, { type: 'extension', id: ext.id });
    }
  }
  return failure(tx, ctx, menu, attempt, 'invalid', digits);
}

function failure(tx: Tx, ctx: FlowContext, menu: IvrMenu, attempt: number, result: 'invalid' | 'timeout', digits: string): Phase {
  tx.step({ kind: 'ivr-choice', menuId: menu.id, name: menu.name, digits, result });
  if (attempt >= menu.retries) {
    tx.step({ kind: 'fallback', fromType: 'ivr', fromId: menu.id, destination: menu.failover });
    return enter(tx, ctx, menu.failover);
  }
  const prompt = result === 'timeout' ? menu.timeoutPrompt : menu.invalidPrompt;
  if (!prompt) return enterIvr(tx, menu, attempt + 1);
  return { phase: 'ivr-playing', menuId: menu.id, playbackId: tx.play(prompt), attempt: attempt + 1, then: 'replay' };
}

function extensionNumbers(ctx: FlowContext): string[] {
  return [...ctx.config.extensions.values()].map((e) => e.number);
}
