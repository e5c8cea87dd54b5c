import type { Store, WriteBatch } from '../../src/store/types.ts';
import { sleep } from './stats.ts';

// Store decorators for measurement: the engine keeps using the real store underneath.

/** Calls `onCommitted` right after each batch is durably committed. */
export function observedStore(store: Store, onCommitted: (batch: WriteBatch, committedAtMs: number) => void): Store {
  return {
    ...store,
    async writeBatch(batch) {
      await store.writeBatch(batch);
      onCommitted(batch, Date.now());
    },
  };
}

/** A database slower than the feed: each batch first waits as long as `eventsPerSec` would take for it. */
export function throttledStore(store: Store, eventsPerSec: number): Store {
  return {
    ...store,
    async writeBatch(batch) {
      await sleep((batch.events.length * 1000) / eventsPerSec);
      await store.writeBatch(batch);
    },
  };
}
