// The credentials the dashboard sends: the API key one typed (kept in localStorage so the dashboard survives
// reloads), or a login session (its cookie is the browser's; its CSRF token is kept here, in memory only).
// Views learn that a login is needed (or a key was rejected) through `subscribeAuth`, and re-fetch when
// `keyVersion` moves: a key saved, a login, a logout, or an operator switching tenant.
const STORAGE_KEY = 'callflow.apiKey';

type Listener = () => void;
const listeners = new Set<Listener>();
let authRequired = false;
let keyVersion = 0;

export function getApiKey(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function notify(): void {
  for (const listener of listeners) listener();
}

export function saveApiKey(key: string): void {
  const trimmed = key.trim();
  try {
    if (trimmed === '') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, trimmed);
  } catch {
    // Private browsing without storage: the key still works for this page through the retry below.
  }
  authRequired = false;
  keyVersion += 1;
  notify();
}

export function forgetApiKey(): void {
  saveApiKey('');
}

/** Drops the saved key without telling anyone (a password login replaces it). */
export function dropApiKeySilently(): void {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
}

let csrfToken: string | null = null;

export function getCsrfToken(): string | null {
  return csrfToken;
}

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The credentials (or what they act on, e.g. the tenant) changed: every view loads its data again. */
export function credentialsChanged(): void {
  authRequired = false;
  keyVersion += 1;
  notify();
}

export function markAuthRequired(): void {
  if (authRequired) return;
  authRequired = true;
  notify();
}

export interface AuthState {
  required: boolean;
  hasKey: boolean;
  keyVersion: number;
}

let snapshot: AuthState = { required: false, hasKey: false, keyVersion: 0 };

export function getAuthState(): AuthState {
  const hasKey = getApiKey() !== null;
  if (snapshot.required !== authRequired || snapshot.hasKey !== hasKey || snapshot.keyVersion !== keyVersion) {
    snapshot = { required: authRequired, hasKey, keyVersion };
  }
  return snapshot;
}

export function subscribeAuth(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
