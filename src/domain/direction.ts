import type { Direction } from './call.ts';
import { endpointOf } from './channel-name.ts';

// Direction from configurable rules: trunk endpoints, dialplan contexts, then the shape of the numbers.

export interface DirectionPolicy {
  inboundContexts: ReadonlySet<string>;
  internalContexts: ReadonlySet<string>;
  trunkEndpoints: readonly string[];
  extension: RegExp;
}

export interface DirectionRulesInput {
  inboundContexts: readonly string[];
  internalContexts: readonly string[];
  trunkEndpoints: readonly string[];
  extensionPattern: string;
}

export function directionPolicy(rules: DirectionRulesInput): DirectionPolicy {
  return {
    inboundContexts: new Set(rules.inboundContexts),
    internalContexts: new Set(rules.internalContexts),
    trunkEndpoints: [...rules.trunkEndpoints],
    extension: new RegExp(rules.extensionPattern),
  };
}

export interface DirectionInput {
  firstChannelName: string;
  firstContext: string;
  /** Names of the other legs (destinations). */
  otherChannelNames: readonly string[];
  from: string;
  to: string;
}

function isTrunk(policy: DirectionPolicy, channelName: string): boolean {
  const endpoint = endpointOf(channelName);
  return policy.trunkEndpoints.some((t) => endpoint === t || endpoint.startsWith(`${t}/`) || channelName.startsWith(t));
}

export function decideDirection(policy: DirectionPolicy, input: DirectionInput): Direction {
  const fromExt = input.from !== '' && policy.extension.test(input.from);
  const toExt = input.to !== '' && policy.extension.test(input.to);
  if (isTrunk(policy, input.firstChannelName) || policy.inboundContexts.has(input.firstContext)) return 'inbound';
  const reachesTrunk = input.otherChannelNames.some((n) => isTrunk(policy, n));
  if (policy.internalContexts.has(input.firstContext)) return reachesTrunk || (!toExt && input.to !== '') ? 'outbound' : 'internal';
  if (reachesTrunk) return 'outbound';
  if (fromExt && toExt) return 'internal';
  if (!fromExt && input.from !== '' && toExt) return 'inbound';
  if (fromExt && !toExt && input.to !== '') return 'outbound';
  return 'unknown';
}
