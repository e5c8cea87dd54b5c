import { eventCount } from '../../src/store/batch-events.ts';
import type { Store, WriteBatch } from '../../src/store/types.ts';
import { sleep } from './stats.ts';

// Store decorators for measurement: the engine keeps using the real store underneath.

/** Calls `onCommitted` right after each batch is durably committed. */
export function observedStore(store: Store, onCommitted: (batch: WriteBatch, committedAtMs: number) => void): Store {
  return {
    ...store,
    async writeBatch(batch, options) {
      await store.writeBatch(batch, options);
      onCommitted(batch, Date.now());
    },
  };
}

/**
 * A database slower than the feed: each batch first waits as long as `eventsPerSec` would take for it.
 * Batches queued behind one another wait in turn and reach the store in the order they were handed over.
 */
export function throttledStore(store: Store, eventsPerSec: number): Store {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    ...store,
    writeBatch(batch, options) {
      const written = tail.then(async () => {
        await sleep((eventCount(batch) * 1000) / eventsPerSec);
        await store.writeBatch(batch, options);
      });
      tail = written.catch(() => undefined);
      return written;
    },
  };
}
