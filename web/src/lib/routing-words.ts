// Routing in plain words: destination types, a destination by its object's name, and API errors (422 bad
// fields or references, 409 objects in use) as sentences that name objects instead of ids.
import type { Destination, DestinationType, RoutingKind, RoutingLists } from '../api/routing-types.ts';

/** The object types a destination can name, with the list each lives in. */
export const OBJECT_KIND: Partial<Record<DestinationType, RoutingKind>> = {
  extension: 'extensions',
  'ring-group': 'ring-groups',
  ivr: 'ivr-menus',
  schedule: 'schedules',
  voicemail: 'voicemail-boxes',
  conference: 'conferences',
  announcement: 'announcements',
};

export const TYPE_LABEL: Record<DestinationType | 'number', string> = {
  extension: 'Extension',
  'ring-group': 'Ring group',
  ivr: 'IVR menu',
  schedule: 'Schedule',
  voicemail: 'Voicemail box',
  conference: 'Conference room',
  announcement: 'Announcement',
  external: 'Outside number',
  'ai-agent': 'AI agent',
  hangup: 'Hang up',
  number: 'Number',
};

interface Named {
  id: string;
  name: string;
  number?: string | null;
}

/** An object's name as lists and pickers show it: "201 Alice" for numbered objects. */
export function objectLabel(object: Named): string {
  return object.number ? `${object.number} ${object.name}` : object.name;
}

export function findObject(lists: RoutingLists, type: DestinationType | 'number', id: string): Named | null {
  const kind = OBJECT_KIND[type as DestinationType];
  if (!kind) return null;
  return ((lists[kind] ?? []) as Named[]).find((object) => object.id === id) ?? null;
}

/** "IVR menu Main menu", "Outside number +4930…", "Hang up"; an id when the object is not (yet) known. */
export function describeDestination(destination: Destination | null | undefined, lists: RoutingLists): string {
  if (!destination) return 'not routed';
  if (destination.type === 'hangup') return 'Hang up';
  if (destination.type === 'external') return `Outside number ${destination.number}`;
  const object = findObject(lists, destination.type, destination.id);
  return `${TYPE_LABEL[destination.type]} ${object ? objectLabel(object) : destination.id}`;
}

/** A field path from the API (`/forward/busy/id`, `options.1`) in words: "key 1", "forward busy". */
export function fieldWords(path: string): string {
  const cleaned = path.replace(/^\//, '').replace(/\//g, '.');
  if (cleaned === '') return 'the form';
  return cleaned
    .replace(/^options\.([0-9*#])/, 'key $1')
    .replace(/^forward\.(\w+)/, 'forward $1')
    .replace(/^voicemailBoxId/, 'voicemail box');
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** What this module reads of the client's ApiError (client.ts), without importing the browser-only client. */
interface ApiErrorLike extends Error {
  code: string;
  details?: unknown[];
}

function isApiError(error: unknown): error is ApiErrorLike {
  return error instanceof Error && typeof (error as Partial<ApiErrorLike>).code === 'string';
}

/** The error of a routing change as sentences; the 409 in-use lists what uses the object, by name. */
export function routingErrorText(error: unknown, lists: RoutingLists): string {
  if (!isApiError(error)) return error instanceof Error ? error.message : String(error);
  const details = (error.details ?? []).map(record);
  switch (error.code) {
    case 'CF_ROUTING_IN_USE': {
      const users = details.map((use) => {
        const kind = String(use.kind) as DestinationType | 'number';
        const id = String(use.id);
        const object = kind === 'number' ? null : findObject(lists, kind, id);
        return `${TYPE_LABEL[kind] ?? kind} ${object ? objectLabel(object) : id} (${fieldWords(String(use.field))})`;
      });
      return `Still in use, so it cannot be deleted. Used by: ${users.join('; ')}. Change those first.`;
    }
    case 'CF_ROUTING_INVALID_REFERENCE': {
      const missing = details.map((d) => `${fieldWords(String(d.field))} names a ${TYPE_LABEL[String(d.type) as DestinationType] ?? String(d.type)} that does not exist (${String(d.id)})`);
      return `Not saved: ${missing.join('; ') || error.message}.`;
    }
    case 'CF_ROUTING_INVALID': {
      const fields = details.filter((d) => 'message' in d && 'path' in d).map((d) => `${fieldWords(String(d.path))}: ${String(d.message)}`);
      return fields.length > 0 ? `Not saved. Check ${fields.join('; ')}.` : `Not saved: ${error.message}.`;
    }
    case 'CF_CONFLICT':
      return `Not saved: ${error.message}.`;
    case 'CF_FORBIDDEN':
      return 'This account may not change routing.';
    default:
      return error.code.startsWith('HTTP_') ? error.message : `${error.message} (${error.code})`;
  }
}
