import type { CallFilter, CallPageJson, Store } from './types.ts';

// Call listings answered from memory between writes. Dashboards ask for the same few pages over and over
// (the newest calls, a filter an operator keeps open); the answer can only change when a batch is written,
// and every batch of this engine is written through this store. So each page is kept with the store's
// write generation at the time its query started: any write that settles (commit or failure) moves the
// generation on, and a page from an older generation is never served again. Requests for a page whose
// query is already running share that query when no write has settled since it started. The generation
// moves on before the write's caller hears of it, so anyone told of a commit (the live stream, a
// POST /api/events answer) finds it in every listing asked for afterwards.
//
// Writes by another engine instance on the same database do not pass through here: `maxAgeMs` bounds how
// long such a write can stay unseen. A page is never older than that, measured from when its query started.

export type ListingLookup = 'hit' | 'shared' | 'miss';

export interface ListingCacheOptions {
  /** Longest a page is served from memory; 0 turns the cache off. */
  maxAgeMs: number;
  /**
   * Memory held by kept pages, oldest dropped first. Counted as two bytes per character of the record texts:
   * the texts themselves, and the page body the route keeps beside each page (routes/calls.ts).
   */
  maxBytes: number;
  /** Milliseconds of a monotonic clock (tests pass their own). */
  nowMs?: () => number;
  /** Told how each listing was answered (metrics). */
  onLookup?: (lookup: ListingLookup) => void;
}

interface KeptPage {
  generation: number;
  startedMs: number;
  bytes: number;
  page: CallPageJson;
}

interface RunningQuery {
  generation: number;
  startedMs: number;
  page: Promise<CallPageJson>;
}

export const DEFAULT_LISTING_CACHE = { maxAgeMs: 1_000, maxBytes: 32 * 1024 * 1024 } as const;

/** The same store, its `listCallsJson` answered from memory between writes (see above). */
export function cacheListings<S extends Store>(store: S, options: ListingCacheOptions): S {
  if (options.maxAgeMs <= 0) return store;
  const nowMs = options.nowMs ?? (() => performance.now());
  const { maxAgeMs, maxBytes, onLookup } = options;
  const kept = new Map<string, KeptPage>();
  const running = new Map<string, RunningQuery>();
  let generation = 0;
  let keptBytes = 0;

  const drop = (key: string, page: KeptPage): void => {
    kept.delete(key);
    keptBytes -= page.bytes;
  };

  const keep = (key: string, entry: KeptPage): void => {
    const old = kept.get(key);
    if (old) drop(key, old);
    if (entry.bytes > maxBytes) return;
    kept.set(key, entry);
    keptBytes += entry.bytes;
    // A Map iterates in insertion order: the first entries are the oldest.
    for (const [oldestKey, oldest] of kept) {
      if (keptBytes <= maxBytes) break;
      drop(oldestKey, oldest);
    }
  };

  const fresh = (entry: { generation: number; startedMs: number }, now: number): boolean =>
    entry.generation === generation && now - entry.startedMs <= maxAgeMs;

  async function listCallsJson(filter: CallFilter, cursor: string | null, limit: number): Promise<CallPageJson> {
    const key = listingKey(filter, cursor, limit);
    const now = nowMs();
    const page = kept.get(key);
    if (page) {
      if (fresh(page, now)) {
        onLookup?.('hit');
        return page.page;
      }
      drop(key, page);
    }
    const query = running.get(key);
    if (query && fresh(query, now)) {
      onLookup?.('shared');
      return query.page;
    }
    onLookup?.('miss');
    const started: RunningQuery = { generation, startedMs: now, page: store.listCallsJson(filter, cursor, limit) };
    running.set(key, started);
    try {
      const result = await started.page;
      if (started.generation === generation) keep(key, { generation: started.generation, startedMs: started.startedMs, bytes: pageBytes(result), page: result });
      return result;
    } finally {
      if (running.get(key) === started) running.delete(key);
    }
  }

  function afterWrite(): void {
    generation++;
    kept.clear();
    keptBytes = 0;
  }

  return {
    ...store,
    listCallsJson,
    async writeBatch(batch, writeOptions) {
      try {
        await store.writeBatch(batch, writeOptions);
      } finally {
        afterWrite();
      }
    },
  };
}

/** One key per distinct listing: the filter's fields in a fixed order, so equal filters meet. */
export function listingKey(filter: CallFilter, cursor: string | null, limit: number): string {
  return JSON.stringify([
    filter.status ?? null,
    filter.disposition ?? null,
    filter.direction ?? null,
    filter.server ?? null,
    filter.tenantId ?? null,
    filter.parties ?? null,
    filter.number ?? null,
    filter.since ?? null,
    filter.until ?? null,
    cursor,
    limit,
  ]);
}

function pageBytes(page: CallPageJson): number {
  let units = (page.nextCursor?.length ?? 0) + 64;
  for (const item of page.items) units += item.length;
  return units * 2;
}
