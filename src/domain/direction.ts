import type { Direction } from './call.ts';
import { endpointOf } from './channel-name.ts';
import { dialledTarget, isPhoneNumber } from './dialstring.ts';

// Direction from configurable rules: originated calls, trunk endpoints, dialplan contexts, what the call
// dialled, then the shape of the numbers.

export interface DirectionPolicy {
  inboundContexts: ReadonlySet<string>;
  internalContexts: ReadonlySet<string>;
  trunkEndpoints: readonly string[];
  extension: RegExp;
  originatedOutbound: boolean;
}

export interface DirectionRulesInput {
  inboundContexts: readonly string[];
  internalContexts: readonly string[];
  trunkEndpoints: readonly string[];
  extensionPattern: string;
  /** A call whose first channel was originated towards the outside is outbound (default true). */
  originatedOutbound?: boolean;
}

export function directionPolicy(rules: DirectionRulesInput): DirectionPolicy {
  return {
    inboundContexts: new Set(rules.inboundContexts),
    internalContexts: new Set(rules.internalContexts),
    trunkEndpoints: [...rules.trunkEndpoints],
    extension: new RegExp(rules.extensionPattern),
    originatedOutbound: rules.originatedOutbound ?? true,
  };
}

export interface DirectionInput {
  firstChannelName: string;
  firstContext: string;
  /** Names of the other legs (destinations). */
  otherChannelNames: readonly string[];
  from: string;
  to: string;
  /** The dialstring the first channel was dialled with when it was dialled on its own (originated); else null. */
  originatedAs: string | null;
  /**
   * Dialstrings the call itself dialled: Dials from its first channel (or that channel's Local twin), and
   * Dials an application made on its own for the call's other channels (an ARI app bridging an employee's
   * phone it rang with a client it dialled).
   */
  dialledByCall: readonly string[];
}

function isTrunk(policy: DirectionPolicy, channelName: string): boolean {
  const endpoint = endpointOf(channelName);
  return policy.trunkEndpoints.some((t) => endpoint === t || endpoint.startsWith(`${t}/`) || channelName.startsWith(t));
}

/** The number a dialstring reached when it is a number outside the organisation (not an extension); else null. */
export function outsideNumber(policy: DirectionPolicy, dialstring: string): string | null {
  const target = dialledTarget(dialstring);
  return isPhoneNumber(target) && !policy.extension.test(target) ? target : null;
}

/**
 * The first channel was dialled on its own (by an originate, ours or another application's) towards the
 * outside: through a trunk, or to a number that is no extension. Its context is then only its endpoint's
 * default (often the trunk's inbound context), so this comes before every other rule.
 */
export function originatedOutside(policy: DirectionPolicy, input: DirectionInput): boolean {
  if (!policy.originatedOutbound || input.originatedAs === null) return false;
  return isTrunk(policy, input.firstChannelName) || outsideNumber(policy, input.originatedAs) !== null;
}

export function decideDirection(policy: DirectionPolicy, input: DirectionInput): Direction {
  if (originatedOutside(policy, input)) return 'outbound';
  const fromExt = input.from !== '' && policy.extension.test(input.from);
  const toExt = input.to !== '' && policy.extension.test(input.to);
  // A number that is no extension is outside; a name (an endpoint dialled as `PJSIP/alice`, a feature code) is not.
  const toOutside = !toExt && isPhoneNumber(input.to);
  if (isTrunk(policy, input.firstChannelName) || policy.inboundContexts.has(input.firstContext)) return 'inbound';
  const reachesTrunk = input.otherChannelNames.some((n) => isTrunk(policy, n));
  const dialsOutside = input.dialledByCall.some((d) => outsideNumber(policy, d) !== null);
  if (policy.internalContexts.has(input.firstContext)) return reachesTrunk || dialsOutside || toOutside ? 'outbound' : 'internal';
  if (reachesTrunk) return 'outbound';
  if (fromExt && toExt) return 'internal';
  if (!fromExt && input.from !== '' && toExt) return 'inbound';
  if (dialsOutside) return 'outbound';
  if (fromExt && toOutside) return 'outbound';
  if (fromExt && input.to !== '') return 'internal';
  return 'unknown';
}
