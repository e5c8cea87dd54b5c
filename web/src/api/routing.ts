// The tenant's call routing over the API (docs/routing.md, src/api/routes/routing.ts): objects as the API
// shows them (PIN hashes replaced by hasPin / hasHostPin), the bodies it takes, and one typed call per route.
import type {
  Announcement,
  ConferenceRoom,
  Destination,
  Extension,
  IvrMenu,
  RingGroup,
  Schedule,
  VoicemailBox,
  VoicemailMessage,
} from '../../../src/routing/objects/model.ts';
import { getJson, sendJson } from './client.ts';
import type { Items } from './account-types.ts';

export type {
  Announcement,
  ClockTime,
  Destination,
  DestinationType,
  DtmfKey,
  Extension,
  ForwardCondition,
  IvrMenu,
  Prompt,
  RingGroup,
  RingGroupMember,
  RingStrategy,
  Schedule,
  ScheduleException,
  VoicemailMessage,
  WeeklyRange,
} from '../../../src/routing/objects/model.ts';
export { DESTINATION_TYPES, DTMF_KEYS, FORWARD_CONDITIONS, RING_STRATEGIES } from '../../../src/routing/objects/model.ts';

type Stamps = 'id' | 'tenantId' | 'createdAt' | 'updatedAt';

export type VoicemailBoxView = Omit<VoicemailBox, 'pinHash'> & { hasPin: boolean };
export type ConferenceView = Omit<ConferenceRoom, 'pinHash' | 'hostPinHash'> & { hasPin: boolean; hasHostPin: boolean };
/** A created extension; `sipPassword` only in the answer to its creation, when the engine provisions one. */
export type CreatedExtension = Extension & { sipPassword?: string };

export interface NumberRouteView {
  number: string;
  tenantId: string;
  label: string | null;
  destination: Destination | null;
  record: boolean;
}

/** Each object type: its path under /api/routing, the shape the API shows and the body it takes. */
export interface RoutingKinds {
  extensions: { view: Extension; body: Omit<Extension, Stamps | 'endpoint'> };
  'ring-groups': { view: RingGroup; body: Omit<RingGroup, Stamps | 'nextIndex'> };
  'ivr-menus': { view: IvrMenu; body: Omit<IvrMenu, Stamps> };
  schedules: { view: Schedule; body: Omit<Schedule, Stamps> };
  'voicemail-boxes': { view: VoicemailBoxView; body: Omit<VoicemailBoxView, Stamps | 'hasPin'> & { pin?: string | null } };
  conferences: {
    view: ConferenceView;
    body: Omit<ConferenceView, Stamps | 'hasPin' | 'hasHostPin'> & { pin?: string | null; hostPin?: string | null };
  };
  announcements: { view: Announcement; body: Omit<Announcement, Stamps> };
}
export type RoutingKind = keyof RoutingKinds;
export type ViewOf<K extends RoutingKind> = RoutingKinds[K]['view'];
export type BodyOf<K extends RoutingKind> = RoutingKinds[K]['body'];

const base = (kind: RoutingKind) => `/api/routing/${kind}`;
const one = (kind: RoutingKind, id: string) => `${base(kind)}/${encodeURIComponent(id)}`;

export function routingPath(kind: RoutingKind): string {
  return base(kind);
}

export const routingApi = {
  list<K extends RoutingKind>(kind: K): Promise<Items<ViewOf<K>>> {
    return getJson<Items<ViewOf<K>>>(base(kind));
  },
  create<K extends RoutingKind>(kind: K, body: BodyOf<K>): Promise<ViewOf<K>> {
    return sendJson<ViewOf<K>>('POST', base(kind), body);
  },
  update<K extends RoutingKind>(kind: K, id: string, body: BodyOf<K>): Promise<ViewOf<K>> {
    return sendJson<ViewOf<K>>('PUT', one(kind, id), body);
  },
  remove(kind: RoutingKind, id: string): Promise<null> {
    return sendJson<null>('DELETE', one(kind, id));
  },
  numbersPath: '/api/routing/numbers',
  setNumber(number: string, destination: Destination | null, record: boolean): Promise<NumberRouteView> {
    return sendJson<NumberRouteView>('PUT', `/api/routing/numbers/${encodeURIComponent(number)}`, { destination, record });
  },
  messagesPath(boxId: string): string {
    return `${one('voicemail-boxes', boxId)}/messages`;
  },
  audioUrl(boxId: string, messageId: string): string {
    return `${one('voicemail-boxes', boxId)}/messages/${encodeURIComponent(messageId)}/audio`;
  },
  markHeard(boxId: string, messageId: string, heard: boolean): Promise<VoicemailMessage> {
    return sendJson<VoicemailMessage>('PATCH', `${one('voicemail-boxes', boxId)}/messages/${encodeURIComponent(messageId)}`, { heard });
  },
  deleteMessage(boxId: string, messageId: string): Promise<null> {
    return sendJson<null>('DELETE', `${one('voicemail-boxes', boxId)}/messages/${encodeURIComponent(messageId)}`);
  },
};
