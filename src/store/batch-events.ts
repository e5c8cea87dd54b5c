import type { WriteBatch } from './types.ts';

// A batch's events counted and timed the same way whether they came as EventRows or encoded.

export function eventCount(batch: WriteBatch): number {
  return batch.events.length + (batch.encodedEvents?.count ?? 0);
}

/** Calls `each(arrivedAtMs, events)` for the batch's events in runs of one arrival time, in batch order. */
export function forEachArrival(batch: WriteBatch, each: (arrivedAtMs: number, events: number) => void): void {
  const rows = batch.events;
  let i = 0;
  while (i < rows.length) {
    const receivedAt = rows[i]!.receivedAt;
    let j = i + 1;
    while (j < rows.length && rows[j]!.receivedAt === receivedAt) j++;
    each(Date.parse(receivedAt), j - i);
    i = j;
  }
  const encoded = batch.encodedEvents;
  if (encoded) for (let k = 0; k < encoded.arrivalMs.length; k++) each(encoded.arrivalMs[k]!, encoded.arrivalCounts[k]!);
}
