// The API key an operator typed, kept in localStorage so the dashboard survives reloads. Views learn
// that a key is needed (or was rejected) through `onAuthRequired`, and re-fetch when `keyVersion` moves.
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
