// `GET /api/routing/presence`: the tenant's phones and ring groups with their states (src/routing/runtime/
// presence-board.ts). Type-only imports, so the board's shape is the engine's own.
export type { ExtensionPresence, PresenceBoard, RingGroupPresence } from '../../../src/routing/runtime/presence-board.ts';
export type { Presence } from '../../../src/routing/objects/model.ts';

export const PRESENCE_PATH = '/api/routing/presence';
