import { describe, expect, it } from 'vitest';
import {
  RECENT_FINISHED_LIMIT,
  applyLiveMessage,
  countOpenCalls,
  createLiveBook,
  matchesSearch,
  parseLiveMessage,
  sortedOpenCalls,
} from '../../web/src/lib/live-book.ts';
import { makeCall } from '../support/call-factory.ts';

describe('live book', () => {
  it('starts from the snapshot, ignoring finished calls in it', () => {
    const book = createLiveBook();
    const ringing = makeCall({ id: 'r', shape: 'ringing' });
    applyLiveMessage(book, { type: 'snapshot', calls: [ringing, makeCall({ id: 'done' })] });
    expect([...book.open.keys()]).toEqual(['r']);
  });

  it('follows a call from created to finished, then lists it as recently finished', () => {
    const book = createLiveBook();
    applyLiveMessage(book, { type: 'call.created', call: makeCall({ id: 'x', shape: 'ringing' }) });
    applyLiveMessage(book, { type: 'call.updated', call: makeCall({ id: 'x', shape: 'in_progress' }) });
    expect(book.open.get('x')?.status).toBe('answered');
    applyLiveMessage(book, { type: 'call.finished', call: makeCall({ id: 'x', shape: 'busy' }) });
    expect(book.open.size).toBe(0);
    expect(book.finished.map((call) => [call.id, call.disposition])).toEqual([['x', 'busy']]);
  });

  it('drops the merged call and keeps the finished list bounded and unique', () => {
    const book = createLiveBook();
    applyLiveMessage(book, { type: 'call.created', call: makeCall({ id: 'a', shape: 'ringing' }) });
    applyLiveMessage(book, { type: 'call.created', call: makeCall({ id: 'b', shape: 'ringing' }) });
    applyLiveMessage(book, { type: 'call.merged', from: 'b', into: 'a' });
    expect([...book.open.keys()]).toEqual(['a']);
    for (let i = 0; i < RECENT_FINISHED_LIMIT + 5; i++) {
      applyLiveMessage(book, { type: 'call.finished', call: makeCall({ id: `f${i % (RECENT_FINISHED_LIMIT + 2)}` }) });
    }
    expect(book.finished).toHaveLength(RECENT_FINISHED_LIMIT);
    expect(new Set(book.finished.map((call) => call.id)).size).toBe(RECENT_FINISHED_LIMIT);
  });

  it('sorts newest first with a stable tie-break, and counts by state and direction', () => {
    const book = createLiveBook();
    const t = '2026-11-21T04:00:00.000Z';
    applyLiveMessage(book, {
      type: 'snapshot',
      calls: [
        makeCall({ id: 'old', shape: 'ringing', startedAt: '2026-11-21T03:00:00.000Z', direction: 'outbound' }),
        makeCall({ id: 'n1', shape: 'in_progress', startedAt: t }),
        makeCall({ id: 'n2', shape: 'ringing', startedAt: t, direction: 'internal' }),
      ],
    });
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
    expect(parseLiveMessage('{"type":"snapshot","calls":[]}')).toEqual({ type: 'snapshot', calls: [] });
    expect(parseLiveMessage('{"type":"call.merged","from":"a","into":"b"}')).toEqual({ type: 'call.merged', from: 'a', into: 'b' });
    expect(parseLiveMessage('{"type":"call.updated","call":{"id":"a"}}')?.type).toBe('call.updated');
    expect(parseLiveMessage('{"type":"call.updated"}')).toBeNull();
    expect(parseLiveMessage('{"type":"ping"}')).toBeNull();
    expect(parseLiveMessage('not json')).toBeNull();
    expect(parseLiveMessage('null')).toBeNull();
  });
});
