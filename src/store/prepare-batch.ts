import type { CallRecord } from '../domain/call.ts';
import { countedEventType } from '../domain/event-types.ts';
import { cleanText } from './copy-text.ts';
import type { EventRow, OutboxInsert, WriteBatch } from './types.ts';

// Pure preparation of a WriteBatch before it touches the database: merge chains resolved, duplicates
// folded (a multi-row upsert fails on a key seen twice), rows sorted by key so concurrent writers lock
// rows in the same order and cannot deadlock.

export interface LegRow {
  channelId: string;
  callId: string;
  server: string;
  name: string;
  endpoint: string;
  createdAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  cause: number | null;
  causeText: string | null;
}

export interface PreparedBatch {
  /** Each absorbed call with the call it finally ends up in (chains a→b, b→c become a→c, b→c). */
  merges: { from: string; into: string }[];
  /** Per moved channel, each call its events may be stored under with the call it finally ends up in (after merges). */
  channelMoves: { channelId: string; from: string; into: string }[];
  /** In batch order, with events of absorbed calls filed under the absorbing call. */
  events: EventRow[];
  /** One snapshot per id (the last in the batch), absorbed calls left out, sorted by id. */
  calls: CallRecord[];
  /** One row per channel (the last call listing it wins), legs stored unchanged left out, sorted by channel id. */
  legs: LegRow[];
  /** One row per idempotency key (the first wins), absorbed calls left out. */
  outbox: OutboxInsert[];
  /** Events per counted type (domain/event-types.ts) in this batch, sorted by type. */
  typeCounts: { types: string[]; counts: number[] };
}

/**
 * A key as the database will hold it: NUL dropped (cleanText) and half surrogate pairs replaced as UTF-8
 * encoding replaces them. Two keys JavaScript tells apart can be one row there, and a multi-row upsert that
 * touches a row twice fails as a whole; the normalizer refuses such ids, this keeps the write whole anyway.
 */
function storedKey(key: string): string {
  return cleanText(key).toWellFormed();
}

export function resolveMerges(merges: WriteBatch['merges']): Map<string, string> {
  const next = new Map<string, string>();
  for (const { from, into } of merges) if (from !== into) next.set(from, into);
  const resolved = new Map<string, string>();
  for (const from of next.keys()) {
    const seen = new Set([from]);
    let target = next.get(from) as string;
    while (next.has(target) && !seen.has(target)) {
      seen.add(target);
      target = next.get(target) as string;
    }
    // A cycle (a→b, b→a) names no surviving call; those calls are left alone.
    if (!seen.has(target)) resolved.set(from, target);
  }
  return resolved;
}

const byKey = <T>(key: (item: T) => string) => (a: T, b: T) => {
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/**
 * A channel moved twice in a batch (a→b, then b→c) has its events under a or b: both go to c, in one statement
 * (an UPDATE changes a row once). Ids are read after the merges.
 */
function finalChannelMoves(moves: NonNullable<WriteBatch['channelMoves']>, target: (callId: string) => string): PreparedBatch['channelMoves'] {
  const byChannel = new Map<string, { froms: Set<string>; into: string }>();
  for (const m of moves) {
    const entry = byChannel.get(m.channelId);
    if (entry === undefined) byChannel.set(m.channelId, { froms: new Set([target(m.from)]), into: target(m.into) });
    else {
      entry.froms.add(target(m.from));
      entry.into = target(m.into);
    }
  }
  const out: PreparedBatch['channelMoves'] = [];
  for (const [channelId, { froms, into }] of byChannel) for (const from of froms) if (from !== into) out.push({ channelId, from, into });
  return out.sort(byKey((m) => `${m.channelId}\u0000${m.from}`));
}

export function prepareBatch(batch: WriteBatch): PreparedBatch {
  const mergeMap = resolveMerges(batch.merges);
  const target = (callId: string): string => mergeMap.get(callId) ?? callId;

  const events =
    mergeMap.size === 0
      ? batch.events
      : batch.events.map((e) =>
          e.callId !== null && mergeMap.has(e.callId) ? { ...e, callId: target(e.callId) } : e,
        );

  // Deleting before setting keeps the map in order of each call's last snapshot, so a channel listed by
  // two calls ends up with the one that came later in the batch.
  const callsById = new Map<string, CallRecord>();
  for (const call of batch.calls) {
    if (mergeMap.has(call.id)) continue;
    const key = storedKey(call.id);
    callsById.delete(key);
    callsById.set(key, call);
  }
  const legsById = new Map<string, LegRow>();
  for (const call of callsById.values()) {
    const stored = batch.storedLegs?.get(call.id);
    for (const leg of call.legs) {
      if (stored?.has(leg.channelId)) continue;
      legsById.set(storedKey(leg.channelId), {
        channelId: leg.channelId,
        callId: call.id,
        server: call.server,
        name: leg.name,
        endpoint: leg.endpoint,
        createdAt: leg.createdAt,
        answeredAt: leg.answeredAt,
        endedAt: leg.endedAt,
        cause: leg.cause,
        causeText: leg.causeText,
      });
    }
  }
  const calls = [...callsById.values()].sort(byKey((c) => c.id));
  const legs = [...legsById.values()].sort(byKey((l) => l.channelId));

  const outboxByKey = new Map<string, OutboxInsert>();
  for (const row of batch.outbox) {
    const key = storedKey(row.idempotencyKey);
    if (!mergeMap.has(row.callId) && !outboxByKey.has(key)) outboxByKey.set(key, row);
  }

  const counts = new Map<string, number>();
  for (const e of events) {
    const type = countedEventType(e.type);
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  const types = [...counts.keys()].sort();

  return {
    merges: [...mergeMap].map(([from, into]) => ({ from, into })),
    channelMoves: finalChannelMoves(batch.channelMoves ?? [], target),
    events,
    calls,
    legs,
    outbox: [...outboxByKey.values()],
    typeCounts: { types, counts: types.map((t) => counts.get(t) as number) },
  };
}
