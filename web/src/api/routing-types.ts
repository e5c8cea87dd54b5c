// The tenant's call routing as the API shows it (docs/routing.md, src/api/routes/routing.ts): objects with PIN
// hashes replaced by hasPin / hasHostPin, and the bodies it takes. Types and constants only, no requests (those
// are in routing.ts), so pure helpers and their tests can use them outside a browser.
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

export type RoutingLists = { [K in RoutingKind]: ViewOf<K>[] | null };
