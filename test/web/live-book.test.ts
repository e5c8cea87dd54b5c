import { describe, expect, it } from 'vitest';
import type { LiveChange } from '../../src/app/live-protocol.ts';
import type { LiveMessage } from '../../src/app/pipeline.ts';
import {
  RECENT_FINISHED_LIMIT,
  applyChange,
  applySnapshot,
  countOpenCalls,
  createLiveBook,
  matchesSearch,
  parseLiveMessage,
  rememberFinished,
  sortedOpenCalls,
  type LiveBook,
} from '../../web/src/lib/live-book.ts';
import { makeCall } from '../support/call-factory.ts';

let seq = 0;
function change(book: LiveBook, message: LiveMessage): void {
  applyChange(book, { ...message, seq: ++seq } as LiveChange);
}

describe('live book', () => {
  it('starts from the snapshot, ignoring finished calls in it', () => {
    const book = createLiveBook();
    const ringing = makeCall({ id: 'r', shape: 'ringing' });
    applySnapshot(book, [ringing, makeCall({ id: 'done' })]);
    expect([...book.open.keys()]).toEqual(['r']);
  });

  it('tells which open calls a later snapshot no longer has, and remembers the latest event time seen', () => {
    const book = createLiveBook();
    const stays = makeCall({ id: 'stays', shape: 'ringing', updatedAt: '2026-11-21T04:00:05.000Z' });
    const ends = makeCall({ id: 'ends', shape: 'in_progress', updatedAt: '2026-11-21T04:00:09.000Z' });
    expect(applySnapshot(book, [stays, ends])).toEqual([]);
    expect(book.lastEventAt).toBe('2026-11-21T04:00:09.000Z');
    expect(applySnapshot(book, [stays, makeCall({ id: 'new', shape: 'ringing' })]).map((call) => call.id)).toEqual(['ends']);
    expect([...book.open.keys()]).toEqual(['stays', 'new']);
  });

  it('lists calls found to have finished ahead of the others, newest end first, skipping open ones', () => {
    const book = createLiveBook();
    change(book, { type: 'call.finished', call: makeCall({ id: 'seen', endedAt: '2026-11-21T04:10:00.000Z' }) });
    rememberFinished(book, [
      makeCall({ id: 'early', endedAt: '2026-11-21T04:11:00.000Z' }),
      makeCall({ id: 'still-open', shape: 'ringing' }),
      makeCall({ id: 'late', endedAt: '2026-11-21T04:12:00.000Z' }),
      makeCall({ id: 'seen', endedAt: '2026-11-21T04:10:00.000Z' }),
    ]);
    expect(book.finished.map((call) => call.id)).toEqual(['late', 'early', 'seen']);
  });

  it('follows a call from created to finished, then lists it as recently finished', () => {
    const book = createLiveBook();
    change(book, { type: 'call.created', call: makeCall({ id: 'x', shape: 'ringing' }) });
    change(book, { type: 'call.updated', call: makeCall({ id: 'x', shape: 'in_progress' }) });
    expect(book.open.get('x')?.status).toBe('answered');
    change(book, { type: 'call.finished', call: makeCall({ id: 'x', shape: 'busy' }) });
    expect(book.open.size).toBe(0);
    expect(book.finished.map((call) => [call.id, call.disposition])).toEqual([['x', 'busy']]);
  });

  it('drops the merged call and keeps the finished list bounded and unique', () => {
    const book = createLiveBook();
    change(book, { type: 'call.created', call: makeCall({ id: 'a', shape: 'ringing' }) });
    change(book, { type: 'call.created', call: makeCall({ id: 'b', shape: 'ringing' }) });
    change(book, { type: 'call.merged', from: 'b', into: 'a' });
    expect([...book.open.keys()]).toEqual(['a']);
    for (let i = 0; i < RECENT_FINISHED_LIMIT + 5; i++) {
      change(book, { type: 'call.finished', call: makeCall({ id: `f${i % (RECENT_FINISHED_LIMIT + 2)}` }) });
    }
    expect(book.finished).toHaveLength(RECENT_FINISHED_LIMIT);
    expect(new Set(book.finished.map((call) => call.id)).size).toBe(RECENT_FINISHED_LIMIT);
  });

  it('sorts newest first with a stable tie-break, and counts by state and direction', () => {
    const book = createLiveBook();
    const t = '2026-11-21T04:00:00.000Z';
    applySnapshot(book, [
      makeCall({ id: 'old', shape: 'ringing', startedAt: '2026-11-21T03:00:00.000Z', direction: 'outbound' }),
      makeCall({ id: 'n1', shape: 'in_progress', startedAt: t }),
      makeCall({ id: 'n2', shape: 'ringing', startedAt: t, direction: 'internal' }),
    ]);
    const calls = sortedOpenCalls(book);
    expect(calls.map((call) => call.id)).toEqual(['n2', 'n1', 'old']);
    expect(countOpenCalls(calls)).toEqual({ total: 3, ringing: 2, talking: 1, inbound: 1, outbound: 1, internal: 1 });
  });

  it('finds calls by number, caller name or endpoint, ignoring case', () => {
    const call = makeCall({ from: '+15550100', to: '200' });
    expect(matchesSearch(call, '5550')).toBe(true);
    expect(matchesSearch(call, 'alice')).toBe(true);
    expect(matchesSearch(call, 'pjsip/BOB')).toBe(true);
    expect(matchesSearch(call, '999')).toBe(false);
    expect(matchesSearch(call, '  ')).toBe(true);
  });
});

describe('parseLiveMessage', () => {
  it('accepts the documented shapes and rejects anything else', () => {
    const snapshot = { type: 'snapshot', stream: 's', seq: 3, calls: [], openCalls: 0, truncated: false };
    expect(parseLiveMessage(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(parseLiveMessage('{"type":"resnapshot","stream":"s","seq":3,"reason":"gap"}')?.type).toBe('resnapshot');
    expect(parseLiveMessage('{"type":"resumed","stream":"s","seq":3}')?.type).toBe('resumed');
    expect(parseLiveMessage('{"seq":4,"type":"call.merged","from":"a","into":"b"}')).toEqual({ seq: 4, type: 'call.merged', from: 'a', into: 'b' });
    expect(parseLiveMessage('{"seq":5,"type":"call.updated","call":{"id":"a"}}')?.type).toBe('call.updated');
    expect(parseLiveMessage('{"type":"call.updated","call":{"id":"a"}}')).toBeNull();
    expect(parseLiveMessage('{"type":"snapshot","seq":1,"calls":[]}')).toBeNull();
    expect(parseLiveMessage('{"seq":5,"type":"call.updated"}')).toBeNull();
    expect(parseLiveMessage('{"seq":1,"type":"ping"}')).toBeNull();
    expect(parseLiveMessage('not json')).toBeNull();
    expect(parseLiveMessage('null')).toBeNull();
  });
});
