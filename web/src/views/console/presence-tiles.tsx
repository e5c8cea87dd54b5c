// The presence board's pieces: an extension's tile, a ring group's card and the board's totals. Every state
// is written out in words next to its colour, so the board reads the same to anyone and in greyscale.
import type { ExtensionPresence, Presence, RingGroupPresence } from '../../api/presence-types.ts';
import { formatCount } from '../../lib/format.ts';
import { PRESENCE_ORDER, PRESENCE_WORDS, timeInState } from '../../lib/presence.ts';
import { useNow } from '../../state/ticker.ts';

export function StateWord({ state }: { state: Presence }) {
  return (
    <span className="presence-state" data-testid="presence-state">
      <span className="presence-dot" aria-hidden="true" />
      {PRESENCE_WORDS[state]}
    </span>
  );
}

function TimeInState({ since }: { since: string | null }) {
  const nowMs = useNow();
  const text = timeInState(since, nowMs);
  return <span className="tile-since mono">{text === null ? '\u00a0' : `for ${text}`}</span>;
}

export function ExtensionTile({ extension }: { extension: ExtensionPresence }) {
  return (
    <li
      className={`presence-tile presence-${extension.state}${extension.enabled ? '' : ' disabled'}`}
      data-extension={extension.number}
      data-state={extension.state}
      title={`${extension.number} ${extension.name}: ${PRESENCE_WORDS[extension.state]} (endpoint ${extension.endpoint})`}
    >
      <span className="tile-number">{extension.number}</span>
      <span className="tile-name">{extension.name}</span>
      <StateWord state={extension.state} />
      <TimeInState since={extension.since} />
      {!extension.enabled && <span className="tile-note">disabled</span>}
    </li>
  );
}

/** Members by state, busiest first; a state nobody is in is left out except idle (0 idle is news). */
export function PresenceCounts({ counts, label }: { counts: Record<Presence, number>; label: string }) {
  return (
    <ul className="presence-counts" aria-label={label}>
      {PRESENCE_ORDER.filter((state) => counts[state] > 0 || state === 'idle').map((state) => (
        <li key={state} className={`presence-count presence-${state}`} data-count={state}>
          <strong className="count-value">{formatCount(counts[state])}</strong> <span className="count-label">{PRESENCE_WORDS[state]}</span>
        </li>
      ))}
    </ul>
  );
}

export function RingGroupCard({ group }: { group: RingGroupPresence }) {
  return (
    <li className="ring-group-card" data-ring-group={group.name}>
      <div className="ring-group-head">
        <strong className="ring-group-name">{group.name}</strong>
        <span className="muted small">
          {group.number ?? 'no number'} · {group.strategy}
        </span>
      </div>
      <PresenceCounts counts={group.counts} label={`${group.name}: members by state`} />
      <ul className="ring-group-members" aria-label={`${group.name}: members`}>
        {group.members.map((member) => (
          <li key={member.extensionId} className={`member-chip presence-${member.state}`} data-member={member.number} data-state={member.state}>
            <span className="member-number">{member.number}</span> <StateWord state={member.state} />
          </li>
        ))}
      </ul>
      {group.members.length === 0 && <p className="note">No members.</p>}
    </li>
  );
}
