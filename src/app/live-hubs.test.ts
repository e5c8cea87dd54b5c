import { describe, expect, it } from 'vitest';
import { makeCall } from '../../test/support/call-factory.ts';
import type { CallRecord } from '../domain/call.ts';
import { LiveHubs } from './live-hubs.ts';
import type { LiveMessage } from './pipeline.ts';

const of = (tenantId: string, id: string, shape: 'ringing' | 'answered' = 'ringing'): CallRecord => ({ ...makeCall({ id, shape }), tenantId });
const updated = (call: CallRecord): LiveMessage => ({ type: 'call.updated', call });
const parse = (frames: Buffer[]) => frames.map((f) => JSON.parse(String(f)));

describe('LiveHubs', () => {
  it("gives a tenant's client only its tenant's changes, numbered without gaps, and the engine's stream all of them", () => {
    const open = [of('acme', 'a-open'), of('globex', 'g-open')];
    const hubs = new LiveHubs({ openCalls: () => open });
    const acme: Buffer[] = [];
    const all: Buffer[] = [];
    const acmeAttach = hubs.of('acme').attach((f) => acme.push(f), null);
    hubs.of(null).attach((f) => all.push(f), null);
    expect(parse(acmeAttach.opening)[0].calls.map((c: CallRecord) => c.id)).toEqual(['a-open']);
    hubs.publish([updated(of('acme', 'a1')), updated(of('globex', 'g1')), updated(of('acme', 'a2'))]);
    hubs.publish([{ type: 'call.merged', from: 'a2', into: 'a1' }, { type: 'call.merged', from: 'g1', into: 'g0' }, { type: 'call.finished', call: of('globex', 'g1') }]);
    expect(parse(acme).map((m) => [m.seq, m.type, m.call?.id ?? m.from])).toEqual([
      [1, 'call.updated', 'a1'],
      [2, 'call.updated', 'a2'],
      [3, 'call.merged', 'a2'],
    ]);
    expect(parse(all).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(hubs.subscriberCount).toBe(2);
  });

  it('keeps a separate stream per tenant: resuming one never replays another', () => {
    const hubs = new LiveHubs({ openCalls: () => [] });
    const acme = hubs.of('acme');
    acme.attach(() => undefined, null);
    const globex = hubs.of('globex');
    globex.attach(() => undefined, null);
    hubs.publish([updated(of('globex', 'g1')), updated(of('globex', 'g2'))]);
    expect(acme.lastSeq).toBe(0);
    expect(globex.lastSeq).toBe(2);
    expect(acme.streamId).not.toBe(globex.streamId);
    const back = acme.attach(() => undefined, { stream: acme.streamId, since: 0 });
    expect(back.outcome).toBe('resumed');
    expect(parse(back.opening)).toEqual([{ type: 'resumed', stream: acme.streamId, seq: 0 }]);
  });
});
