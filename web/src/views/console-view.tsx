// The operator console (#/console): the tenant's phones and ring groups as the engine sees them, polled, and
// the calls in progress with where routing took them. `wall`: the same board laid out for a TV on the wall
// (the shell drops its navigation; tiles and counts grow), with a way back.
import { ErrorNote, Empty, Loading } from '../components/page-state.tsx';
import { formatTime } from '../lib/format.ts';
import { countByPresence } from '../lib/presence.ts';
import { usePresence } from '../state/use-presence.ts';
import { ConsoleCalls } from './console/console-calls.tsx';
import { ExtensionTile, PresenceCounts, RingGroupCard } from './console/presence-tiles.tsx';

export function ConsoleView({ wall, showCalls }: { wall: boolean; showCalls: boolean }) {
  const { board, error, fetchedAtMs } = usePresence();
  const updated = fetchedAtMs === null ? null : formatTime(new Date(fetchedAtMs).toISOString());
  return (
    <section className={`view console-view${wall ? ' wall' : ''}`} aria-labelledby="console-title" data-wall={wall ? 'true' : undefined}>
      <header className="view-head">
        <h1 id="console-title">{wall ? 'Wall board' : 'Console'}</h1>
        <div className="head-actions">
          {updated && <span className="muted small" data-testid="presence-updated">Updated {updated}</span>}
          {wall ? (
            <a className="button" href="#/console" data-testid="wall-exit">Exit</a>
          ) : (
            <a className="button" href="#/console?wall=1" data-testid="wall-open">Wall board</a>
          )}
        </div>
      </header>

      {error && board !== null && (
        <div className="offline-banner" role="alert" data-testid="presence-error">
          <strong>The board is not updating.</strong> The engine did not answer ({error.message}); what you see is as it
          was at {updated}. Trying again every few seconds…
        </div>
      )}
      {error && board === null && <ErrorNote error={error} />}
      {!error && board === null && <Loading what="the phones" />}

      {board && (
        <>
          <div className="panel">
            <div className="panel-head">
              <h2>Extensions</h2>
              <PresenceCounts counts={countByPresence(board.extensions)} label="Extensions by state" />
            </div>
            <ul className="presence-tiles" data-testid="presence-tiles">
              {board.extensions.map((extension) => (
                <ExtensionTile key={extension.id} extension={extension} />
              ))}
            </ul>
            {board.extensions.length === 0 && <Empty>No extensions yet; add them under Routing → Extensions.</Empty>}
          </div>
          {board.ringGroups.length > 0 && (
            <div className="panel">
              <div className="panel-head">
                <h2>Ring groups</h2>
              </div>
              <ul className="ring-group-cards" data-testid="ring-groups">
                {board.ringGroups.map((group) => (
                  <RingGroupCard key={group.id} group={group} />
                ))}
              </ul>
            </div>
          )}
        </>
      )}

      {showCalls && <ConsoleCalls />}
    </section>
  );
}
