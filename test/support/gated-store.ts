import type { Store } from '../../src/store/types.ts';

// A database that stops answering, for tests and benchmarks of outages: while the gate is shut every write
// waits, and the writes go on once it opens.

/** A store whose writes wait while the gate is shut: a database that has stopped answering. */
export function gatedStore(store: Store): { store: Store; shut(): void; open(): void } {
  let gate: Promise<void> | null = null;
  let release = (): void => undefined;
  return {
    store: {
      ...store,
      async writeBatch(batch, options) {
        while (gate !== null) await gate;
        return store.writeBatch(batch, options);
      },
    },
    shut() {
      gate ??= new Promise<void>((resolve) => (release = resolve));
    },
    open() {
      gate = null;
      release();
    },
  };
}
