// Every routing object of the tenant, loaded once for the routing pages: the lists they show, the objects a
// destination picker offers, and the names that replace ids in graphs, summaries and error messages.
import { createContext, useContext } from 'react';
import type { Items } from '../api/account-types.ts';
import { routingPath, type RoutingKind, type RoutingLists, type ViewOf } from '../api/routing.ts';
import { useApi, type ApiState } from './use-api.ts';

export type { RoutingLists };

export interface RoutingDirectory {
  lists: RoutingLists;
  /** The first error of any list (the page shows it instead of half the data). */
  error: Error | null;
  loaded: boolean;
  reload: () => void;
}

function useList<K extends RoutingKind>(kind: K): ApiState<Items<ViewOf<K>>> {
  return useApi<Items<ViewOf<K>>>(routingPath(kind), { keepPrevious: true });
}

export function useRoutingLists(): RoutingDirectory {
  const states = {
    extensions: useList('extensions'),
    'ring-groups': useList('ring-groups'),
    'ivr-menus': useList('ivr-menus'),
    schedules: useList('schedules'),
    'voicemail-boxes': useList('voicemail-boxes'),
    conferences: useList('conferences'),
    announcements: useList('announcements'),
  };
  const all = Object.values(states);
  const lists = Object.fromEntries(Object.entries(states).map(([kind, state]) => [kind, state.data?.items ?? null])) as RoutingLists;
  return {
    lists,
    error: all.find((state) => state.error !== null)?.error ?? null,
    loaded: all.every((state) => state.data !== null),
    reload: () => all.forEach((state) => state.reload()),
  };
}

export const RoutingContext = createContext<RoutingDirectory | null>(null);

export function useRouting(): RoutingDirectory {
  const directory = useContext(RoutingContext);
  if (directory === null) throw new Error('useRouting outside the routing pages');
  return directory;
}
