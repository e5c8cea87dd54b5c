// The theme switch's state: the choice kept in localStorage, the system preference watched, and the result
// written to <html data-theme> (the stylesheets key the dark palette on it). Applied once before the first
// render (main.tsx), so a dark page never flashes light on load.
import { useSyncExternalStore } from 'react';
import { parseThemeChoice, resolveTheme, type Theme, type ThemeChoice } from '../lib/theme.ts';

const STORAGE_KEY = 'callflow.theme';

type Listener = () => void;
const listeners = new Set<Listener>();
let choice: ThemeChoice = readChoice();

function readChoice(): ThemeChoice {
  try {
    return parseThemeChoice(localStorage.getItem(STORAGE_KEY));
  } catch {
    // Storage refused (privacy mode): the system's preference it is.
    return 'system';
  }
}

function systemQuery(): MediaQueryList | null {
  return typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
}

export function currentTheme(): Theme {
  return resolveTheme(choice, systemQuery()?.matches ?? false);
}

/** Writes the resolved theme to <html>; the choice too, for tests and for styling the switch. */
export function applyTheme(): void {
  const root = document.documentElement;
  root.dataset.theme = currentTheme();
  root.dataset.themeChoice = choice;
}

export function setThemeChoice(next: ThemeChoice): void {
  choice = next;
  try {
    if (next === 'system') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not kept across reloads, still applied now.
  }
  applyTheme();
  for (const listener of listeners) listener();
}

let watching = false;
function subscribe(listener: Listener): () => void {
  if (!watching) {
    watching = true;
    // "System" follows the operating system live, as when it switches to dark at dusk.
    systemQuery()?.addEventListener('change', () => {
      applyTheme();
      for (const each of listeners) each();
    });
    // Another tab changed the choice.
    window.addEventListener('storage', (event) => {
      if (event.key !== STORAGE_KEY) return;
      choice = readChoice();
      applyTheme();
      for (const each of listeners) each();
    });
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useThemeChoice(): ThemeChoice {
  return useSyncExternalStore(subscribe, () => choice);
}
