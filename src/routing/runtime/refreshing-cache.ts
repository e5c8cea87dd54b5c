// Values read from the database (a tenant's routing, a number's owner), kept and served while a read of a newer
// one runs in the background once they are older than `ttlMs`. A dropped value is read again before it is
// served: a change made here is seen by the very next use. Failed reads are not kept.

export class RefreshingCache<K, V> {
  private readonly entries = new Map<K, { at: number; value?: V; loading: Promise<V> | null }>();

  constructor(
    private readonly load: (key: K) => Promise<V>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: K): Promise<V> {
    const entry = this.entries.get(key);
    if (entry?.value !== undefined) {
      if (this.now() - entry.at > this.ttlMs && entry.loading === null) void this.refresh(key, entry).catch(() => undefined);
      return entry.value;
    }
    if (entry?.loading) return entry.loading;
    return this.refresh(key, { at: 0, loading: null });
  }

  drop(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private refresh(key: K, entry: { at: number; value?: V; loading: Promise<V> | null }): Promise<V> {
    const loading = this.load(key).then(
      (value) => {
        // Not kept when dropped meanwhile: a change came after this read began.
        if (this.entries.get(key) === entry) Object.assign(entry, { at: this.now(), value, loading: null });
        return value;
      },
      (error: unknown) => {
        entry.loading = null;
        throw error;
      },
    );
    entry.loading = loading;
    this.entries.set(key, entry);
    return loading;
  }
}
