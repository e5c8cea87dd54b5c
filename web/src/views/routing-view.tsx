// Call routing (issue 19): the tenant's numbers, extensions, ring groups, IVR menus, schedules, voicemail,
// conference rooms and announcements, one page each under #/routing/…. Everyone with routing:read sees them;
// only routing:write gets create, edit and delete.
import type { Session } from '../api/account-types.ts';
import { ErrorNote, Loading } from '../components/page-state.tsx';
import { ROUTING_PAGES, type RoutingPageName } from '../lib/hash-route.ts';
import { RoutingContext, useRoutingLists } from '../state/routing-directory.ts';
import { can } from '../state/session.ts';
import { AnnouncementsPage } from './routing/announcements-page.tsx';
import { ConferencesPage } from './routing/conferences-page.tsx';
import { ExtensionsPage } from './routing/extensions-page.tsx';
import { IvrMenusPage } from './routing/ivr-menus-page.tsx';
import { NumbersPage } from './routing/numbers-page.tsx';
import { RingGroupsPage } from './routing/ring-groups-page.tsx';
import { SchedulesPage } from './routing/schedules-page.tsx';
import { VoicemailPage } from './routing/voicemail-page.tsx';

const LABEL: Record<RoutingPageName, string> = {
  numbers: 'Numbers',
  extensions: 'Extensions',
  'ring-groups': 'Ring groups',
  'ivr-menus': 'IVR menus',
  schedules: 'Schedules',
  voicemail: 'Voicemail',
  conferences: 'Conferences',
  announcements: 'Announcements',
};

function Page({ page, session }: { page: RoutingPageName; session: Session }) {
  const canWrite = can(session, 'routing:write');
  switch (page) {
    case 'numbers':
      return <NumbersPage canWrite={canWrite} />;
    case 'extensions':
      return <ExtensionsPage canWrite={canWrite} />;
    case 'ring-groups':
      return <RingGroupsPage canWrite={canWrite} />;
    case 'ivr-menus':
      return <IvrMenusPage canWrite={canWrite} />;
    case 'schedules':
      return <SchedulesPage canWrite={canWrite} tenantZone={session.tenant?.timezone ?? 'UTC'} />;
    case 'voicemail':
      return <VoicemailPage canWrite={canWrite} />;
    case 'conferences':
      return <ConferencesPage canWrite={canWrite} />;
    case 'announcements':
      return <AnnouncementsPage canWrite={canWrite} />;
  }
}

function Loaded({ page, session }: { page: RoutingPageName; session: Session }) {
  const directory = useRoutingLists();
  if (directory.error && !directory.loaded) return <ErrorNote error={directory.error} onRetry={directory.reload} />;
  if (!directory.loaded) return <Loading what="routing" />;
  return (
    <RoutingContext.Provider value={directory}>
      <Page page={page} session={session} />
    </RoutingContext.Provider>
  );
}

export function RoutingView({ page, session }: { page: RoutingPageName; session: Session }) {
  return (
    <section className="view routing-view" aria-labelledby="routing-title">
      <header className="view-head">
        <h1 id="routing-title">Routing</h1>
        <span className="muted">{session.tenant?.name ?? ''}</span>
        {!can(session, 'routing:write') && <span className="tag" data-testid="read-only">read only</span>}
      </header>
      <nav className="subnav" aria-label="Routing">
        {ROUTING_PAGES.map((name) => (
          <a key={name} href={`#/routing/${name}`} className="subnav-link" aria-current={name === page ? 'page' : undefined}>
            {LABEL[name]}
          </a>
        ))}
      </nav>
      {session.tenantId === null ? (
        <div className="page-state">Choose a tenant in the top bar: routing belongs to one tenant.</div>
      ) : (
        <Loaded page={page} session={session} />
      )}
    </section>
  );
}
