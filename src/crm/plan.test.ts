import { describe, expect, it } from 'vitest';
import { changesOf, callSnapshots } from '../../test/crm/helpers/calls.ts';
import { parseCrmConfig } from './config.ts';
import { planDeliveries, planMediaDeliveries, transitionEvents } from './plan.ts';

const secret = 'a-very-long-webhook-secret';

function config(bitrix: Record<string, unknown> | null, hooks: { name: string; events?: string[] }[] = []) {
  return parseCrmConfig({
    webhooks: hooks.map((h) => ({ name: h.name, url: 'http://127.0.0.1:9/h', secret, events: h.events })),
    bitrix24: bitrix ? { webhookUrl: 'http://127.0.0.1:9/rest/1/abc/', ...bitrix } : undefined,
  });
}

function planAll(cfg: ReturnType<typeof config>, script: Parameters<typeof callSnapshots>[0] = {}) {
  return changesOf(callSnapshots(script)).flatMap((c) => planDeliveries(cfg, c));
}

describe('transitionEvents', () => {
  it.each([
    ['answered', ['call.created', 'call.ringing', 'call.answered', 'call.finished']],
    ['no_answer', ['call.created', 'call.ringing', 'call.finished']],
  ] as const)('a %s call produces each event once, in order', (disposition, expected) => {
    const events = changesOf(callSnapshots({ disposition })).flatMap((c) => transitionEvents(c.previous, c.current));
    expect(events).toEqual(expected);
  });

  it('a call first seen already finished produces all its events at once', () => {
    const snaps = callSnapshots({ disposition: 'answered' });
    expect(transitionEvents(null, snaps[snaps.length - 1]!)).toEqual(['call.created', 'call.answered', 'call.finished']);
  });

  it('a call that took another id (a merge) starts over under the new id', () => {
    const snaps = callSnapshots({ disposition: 'answered' });
    const renamed = { ...snaps[2]!, id: 'other-id' };
    expect(transitionEvents(snaps[2]!, renamed)).toEqual(['call.created', 'call.ringing', 'call.answered']);
  });

  it('an unchanged snapshot produces nothing', () => {
    const [first] = callSnapshots();
    expect(transitionEvents(first!, first!)).toEqual([]);
  });
});

describe('planDeliveries', () => {
  it('gives Bitrix24 register, card, and finish rows with stable keys', () => {
    const rows = planAll(config({ showCard: 'ring' }), { id: 'c1' });
    expect(rows.map((r) => r.idempotencyKey)).toEqual([
      'bitrix24:c1:call.created',
      'bitrix24:c1:call.ringing',
      'bitrix24:c1:call.answered',
      'bitrix24:c1:call.finished',
    ]);
    expect((rows[3]!.payload as { call: { status: string } }).call.status).toBe('finished');
  });

  it('skips card rows when cards are never shown', () => {
    const rows = planAll(config({ showCard: 'never' }), { id: 'c2' });
    expect(rows.map((r) => r.eventType)).toEqual(['call.created', 'call.finished']);
  });

  it('sends internal calls to Bitrix24 only when configured, and always to webhooks', () => {
    const hooks = [{ name: 'erp' }];
    expect(planAll(config({}, hooks), { direction: 'internal' }).map((r) => r.sink)).toEqual(['webhook:erp', 'webhook:erp', 'webhook:erp']);
    expect(planAll(config({ sendInternal: true, showCard: 'never' }, hooks), { direction: 'internal' }).filter((r) => r.sink === 'bitrix24')).toHaveLength(2);
  });

  it('honours each webhook event filter and keeps per-sink order', () => {
    const rows = planAll(config(null, [{ name: 'a', events: ['call.finished'] }, { name: 'b' }]), { id: 'c3' });
    expect(rows.filter((r) => r.sink === 'webhook:a').map((r) => r.eventType)).toEqual(['call.finished']);
    expect(rows.filter((r) => r.sink === 'webhook:b').map((r) => r.eventType)).toEqual(['call.created', 'call.answered', 'call.finished']);
  });

  it('attaches a recording and transcript to the finish only', () => {
    const cfg = config({ showCard: 'never' });
    const snaps = callSnapshots({ id: 'c4' });
    const rows = planDeliveries(cfg, { previous: snaps[2]!, current: snaps[3]!, recordingUrl: 'http://x/r.mp3', transcript: [{ side: 'user', startSec: 0, stopSec: 2, text: 'hi' }] });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.payload).toMatchObject({ recordingUrl: 'http://x/r.mp3', transcript: [{ text: 'hi' }] });
  });
});

describe('planMediaDeliveries', () => {
  const call = callSnapshots({}).at(-1)!;
  const recording = { id: 'f1:r7', durationS: 42, policy: 'number' as const, audioPath: '/api/recordings/f1%3Ar7/audio' };

  it('goes to Bitrix24 and to the webhooks subscribed to its type, keyed by the media so a call may leave several', () => {
    const rows = planMediaDeliveries(config({ webhookUrl: 'https://b24.example/rest/1/abc/' }, [{ name: 'all' }, { name: 'finishes', events: ['call.finished'] }, { name: 'media', events: ['call.recorded'] }]), call, 'call.recorded', { recording });
    expect(rows.map((r) => [r.sink, r.eventType, r.idempotencyKey])).toEqual([
      ['bitrix24', 'call.recorded', `bitrix24:${call.id}:call.recorded:f1:r7`],
      ['webhook:all', 'call.recorded', `webhook:all:${call.id}:call.recorded:f1:r7`],
      ['webhook:media', 'call.recorded', `webhook:media:${call.id}:call.recorded:f1:r7`],
    ]);
    expect(rows[0]!.payload).toEqual({ call, recording });
  });

  it("leaves internal calls out of Bitrix24 unless it takes them, and prefixes another tenant's sinks", () => {
    const internal = { ...call, direction: 'internal' as const };
    const voicemail = { boxId: 'vm_1', messageId: 'msg_1', recordingId: 'f1:r3', durationS: 9, from: '101', audioPath: '/x' };
    expect(planMediaDeliveries(config({ webhookUrl: 'https://b24.example/rest/1/abc/' }), internal, 'voicemail.left', { voicemail })).toEqual([]);
    const rows = planMediaDeliveries(config({ webhookUrl: 'https://b24.example/rest/1/abc/', sendInternal: true }), internal, 'voicemail.left', { voicemail }, 'acme/');
    expect(rows.map((r) => r.sink)).toEqual(['acme/bitrix24']);
  });
});
