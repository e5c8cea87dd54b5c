import type { Presence, RoutingSnapshot } from '../objects/model.ts';

// The operator console's presence board (pure): each extension of a tenant with its phone's state, and each
// ring group with its members' states, as the flow runtimes of every connected Asterisk see them. A phone
// known to several servers shows its busiest state there (in a call on one is in a call).

/** What the board reads of one server's runtime (FlowRuntime). */
export interface PresenceSource {
  presenceOf(config: RoutingSnapshot, extensionId: string): Presence;
  phoneSince(config: RoutingSnapshot, extensionId: string): number | null;
}

export interface ExtensionPresence {
  id: string;
  number: string;
  name: string;
  endpoint: string;
  enabled: boolean;
  state: Presence;
  /** When the phone last changed state as Asterisk reported it; null when it never did. */
  since: string | null;
}

export interface RingGroupPresence {
  id: string;
  name: string;
  number: string | null;
  strategy: string;
  members: { extensionId: string; number: string; state: Presence }[];
  /** Members by state. */
  counts: Record<Presence, number>;
}

export interface PresenceBoard {
  at: string;
  extensions: ExtensionPresence[];
  ringGroups: RingGroupPresence[];
}

/** Busiest first: the state a phone shows when servers disagree. */
const RANK: Record<Presence, number> = { 'in-call': 3, ringing: 2, idle: 1, unavailable: 0 };

export function presenceBoard(config: RoutingSnapshot, sources: readonly PresenceSource[], now: number): PresenceBoard {
  const states = new Map<string, Presence>();
  const extensions: ExtensionPresence[] = [];
  for (const ext of config.extensions.values()) {
    let state: Presence = 'unavailable';
    let since: number | null = null;
    for (const source of sources) {
      const s = source.presenceOf(config, ext.id);
      if (RANK[s] > RANK[state]) state = s;
      const t = source.phoneSince(config, ext.id);
      if (t !== null && (since === null || t > since)) since = t;
    }
    // A disabled extension is never rung: it shows as unavailable whatever its phone says.
    if (!ext.enabled) state = 'unavailable';
    states.set(ext.id, state);
    extensions.push({ id: ext.id, number: ext.number, name: ext.name, endpoint: ext.endpoint, enabled: ext.enabled, state, since: since === null ? null : new Date(since).toISOString() });
  }
  extensions.sort((a, b) => a.number.localeCompare(b.number, 'en', { numeric: true }));
  const ringGroups: RingGroupPresence[] = [];
  for (const group of config.ringGroups.values()) {
    const counts: Record<Presence, number> = { idle: 0, ringing: 0, 'in-call': 0, unavailable: 0 };
    const members = group.members.map((m) => {
      const state = states.get(m.extensionId) ?? 'unavailable';
      counts[state]++;
      return { extensionId: m.extensionId, number: config.extensions.get(m.extensionId)?.number ?? m.extensionId, state };
    });
    ringGroups.push({ id: group.id, name: group.name, number: group.number, strategy: group.strategy, members, counts });
  }
  ringGroups.sort((a, b) => a.name.localeCompare(b.name));
  return { at: new Date(now).toISOString(), extensions, ringGroups };
}
