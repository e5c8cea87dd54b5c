// Who the dashboard acts as: GET /api/session at start and whenever the credentials change (a key saved, a
// login, a logout, a tenant switch). The session's CSRF token goes to the client, which sends it with every
// request that changes something; a 401 anywhere shows the login page (client.ts → api-key.ts).
import { useSyncExternalStore } from 'react';
import type { Session } from '../api/account-types.ts';
import { ApiError, getJson, sendJson } from '../api/client.ts';
import { credentialsChanged, dropApiKeySilently, forgetApiKey, getApiKey, getAuthState, setCsrfToken, subscribeAuth } from './api-key.ts';

export interface SessionState {
  /** The first answer (or refusal) has arrived. */
  loaded: boolean;
  session: Session | null;
  /** Not a 401: the engine could not be reached or answered with an error. */
  error: Error | null;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let state: SessionState = { loaded: false, session: null, error: null };
let loadedFor = -1;
let generation = 0;

function set(next: Partial<SessionState>): void {
  state = { ...state, ...next };
  setCsrfToken(state.session?.csrfToken ?? null);
  for (const listener of listeners) listener();
}

export function getSessionState(): SessionState {
  return state;
}

/** Asks the engine who we are now. */
export async function loadSession(): Promise<void> {
  const mine = ++generation;
  loadedFor = getAuthState().keyVersion;
  try {
    const session = await getJson<Session>('/api/session');
    if (mine === generation) set({ loaded: true, session, error: null });
  } catch (error) {
    if (mine !== generation) return;
    // A 401 has already asked for the login page.
    const refused = error instanceof ApiError && error.status === 401;
    set({ loaded: true, session: null, error: refused ? null : error instanceof Error ? error : new Error(String(error)) });
  }
}

let watching = false;
function ensureSubscribed(): void {
  if (watching) return;
  watching = true;
  // Credentials changed elsewhere (an API key typed in): learn who they are.
  subscribeAuth(() => {
    const { keyVersion } = getAuthState();
    if (keyVersion !== loadedFor) void loadSession();
  });
}

function subscribe(listener: Listener): () => void {
  ensureSubscribed();
  listeners.add(listener);
  if (!state.loaded && generation === 0) void loadSession();
  return () => listeners.delete(listener);
}

export function useSession(): SessionState {
  return useSyncExternalStore(subscribe, getSessionState);
}

export function can(session: Session | null, permission: string): boolean {
  return session !== null && session.permissions.includes(permission);
}

/** E-mail and password: the engine sets the session cookie; a saved API key is dropped, the login replaces it. */
export async function logIn(email: string, password: string): Promise<void> {
  const session = await sendJson<Session>('POST', '/api/session', { email, password });
  dropApiKeySilently();
  set({ session, error: null, loaded: true });
  credentialsChanged();
}

/** Ends the session (or forgets the key) and asks again, which shows the login page. */
export async function logOut(): Promise<void> {
  const current = state.session;
  if (current?.kind === 'user') await sendJson<null>('DELETE', '/api/session');
  if (getApiKey() !== null) forgetApiKey();
  else credentialsChanged();
}

/** An operator's session acts in another tenant (null: all tenants); every view loads again. */
export async function switchTenant(tenantId: string | null): Promise<void> {
  const session = await sendJson<Session>('PUT', '/api/session/tenant', { tenantId });
  set({ session });
  credentialsChanged();
}

export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await sendJson<null>('POST', '/api/session/password', { currentPassword, newPassword });
}
