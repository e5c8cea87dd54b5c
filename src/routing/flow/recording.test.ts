import { describe, expect, it } from 'vitest';
import { TestCall, actionsOf, stepsOf } from '../test-call.ts';
import { context, extension, ringGroup, snapshot } from '../test-fixtures.ts';

// Recording policies: a number that records its calls, or an extension that does, has the conversation recorded
// from the moment the caller is bridged to whoever answered (both sides mixed on the call's bridge).

function call(options: { numberRecords?: boolean; recordingExtension?: string } = {}): TestCall {
  const config = snapshot({
    numbers: { '+4930100': { type: 'ring-group', id: 'g1' } },
    extensions: [extension('e1', '101', { record: options.recordingExtension === 'e1' }), extension('e2', '102', { record: options.recordingExtension === 'e2' })],
    ringGroups: [ringGroup('g1', ['e1', 'e2'], { strategy: 'simultaneous' })],
  });
  if (options.numberRecords) config.numbers.get('+4930100')!.record = true;
  return new TestCall(context(config));
}

describe('recording policies', () => {
  it('a number that records its calls: the bridge is recorded once answered, and the timeline says why', () => {
    const c = call({ numberRecords: true });
    const out = c.send({ type: 'answered', channelId: 'f:c3' });
    expect(actionsOf(out).slice(-2)).toEqual(['bridge f:b5 caller,f:c3', 'record-call f:b5 f:r6 number']);
    expect(stepsOf(out)).toEqual([
      { kind: 'answered', extensionId: 'e2', channelId: 'f:c3' },
      { kind: 'recording', recordingId: 'f:r6', policy: 'number' },
    ]);
  });

  it('an extension that records its calls: only when that extension is the one that answers', () => {
    const answeredByOther = call({ recordingExtension: 'e1' });
    expect(actionsOf(answeredByOther.send({ type: 'answered', channelId: 'f:c3' })).some((a) => a.startsWith('record-call'))).toBe(false);
    const answeredByIt = call({ recordingExtension: 'e1' });
    expect(actionsOf(answeredByIt.send({ type: 'answered', channelId: 'f:c2' })).at(-1)).toBe('record-call f:b5 f:r6 extension');
  });

  it('no policy: nothing is recorded', () => {
    const c = call();
    const out = c.send({ type: 'answered', channelId: 'f:c2' });
    expect(actionsOf(out).some((a) => a.startsWith('record-call'))).toBe(false);
    expect(stepsOf(out).map((s) => s.kind)).toEqual(['answered']);
  });
});
