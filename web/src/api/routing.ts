// The tenant's call routing over the API (docs/routing.md, src/api/routes/routing.ts): one typed call per
// route; the shapes are in routing-types.ts.
import type { Items } from './account-types.ts';
import { getJson, sendJson } from './client.ts';
import type { BodyOf, Destination, NumberRouteView, RoutingKind, ViewOf, VoicemailMessage } from './routing-types.ts';

export * from './routing-types.ts';

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
