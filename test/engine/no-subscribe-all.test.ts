import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/compose.ts';
import { startAppAgainst, type AppAgainstAsterisk } from '../support/app-against-asterisk.ts';
import { FakeAsterisk } from '../support/fake-asterisk.ts';
import { traceEvents } from '../support/fixtures.ts';

// Without subscribeAll the engine subscribes to each channel that enters Stasis, so its end is seen.

describe('a server without subscribeAll', () => {
  const pbx = new FakeAsterisk({ username: 'u', password: 'secret-pw' });
  let running: AppAgainstAsterisk;
  let app: App;
  beforeAll(async () => {
    running = await startAppAgainst([{ name: 'default', fake: pbx, username: 'u', password: 'secret-pw', subscribeAll: false }]);
    app = running.app;
  });
  afterAll(async () => running?.stop());

  it('connects without subscribeAll, subscribes to channels entering Stasis, and still finishes the call', async () => {
    expect(pbx.connections[0]?.subscribeAll).toBe(false);
    pbx.send(traceEvents('a_answer_wait_hangup_nosubscribeall'));
    const deadline = Date.now() + 5000;
    const subscribed = () => pbx.requests.find((r) => r.method === 'POST' && r.path === '/ari/applications/callflow/subscription');
    while ((!subscribed() || (await app.store.getCall('1795234461.256'))?.status !== 'finished') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(subscribed()?.query.eventSource).toBe('channel:1795234461.256');
    const call = await app.store.getCall('1795234461.256');
    expect(call?.status).toBe('finished');
    expect(call?.disposition).toBe('answered');
  });
});
