import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/load.ts';
import { traceEvents } from '../support/fixtures.ts';
import { createPostgresDatabase, storeKinds, type TestDatabase } from '../support/test-store.ts';

// Calls whose channels Asterisk moved to another linkedid, ingested over several batches, are rebuilt from
// their own stored events into the very records stored: a moved channel's events follow it, and a call that
// keeps legs counts only its own.

const traces = ['i_ari_bridge_no_originator', 'i_ari_bridge_no_originator_channelvars', 'g_external_media', 'g_external_media_channelvars', 'l_attended_transfer'];

describe.each(storeKinds())('calls with moved channels rebuild identically (%s store)', (kind) => {
  let app: App;
  let db: TestDatabase | null = null;

  beforeAll(async () => {
    db = kind === 'postgres' ? await createPostgresDatabase() : null;
    const config = loadConfig({
      env: { CALLFLOW_DATA_DIR: 'memory://', SIMULATOR: 'off', ...(db ? { DATABASE_URL: db.url } : {}) },
      flags: { http: { host: '127.0.0.1', port: 0 } },
    });
    app = await createApp(config, silentLogger());
    await app.start();
  });

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  for (const name of traces) {
    it(name, async () => {
      const events = traceEvents(name);
      const ids = new Set<string>();
      // Small batches, so that calls are stored before a channel leaves them.
      for (let i = 0; i < events.length; i += 6) {
        const res = await app.server.inject({ method: 'POST', url: '/api/events', payload: { events: events.slice(i, i + 6) } });
        expect(res.statusCode, res.body).toBe(202);
        for (const id of res.json().callIds as string[]) ids.add(id);
        await new Promise((r) => setTimeout(r, 60));
      }
      let stored: string[] = [];
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        stored = [];
        for (const id of ids) if ((await app.server.inject({ method: 'GET', url: `/api/calls/${id}` })).statusCode === 200) stored.push(id);
        const finished = await Promise.all(stored.map(async (id) => (await app.server.inject({ method: 'GET', url: `/api/calls/${id}` })).json().status === 'finished'));
        if (stored.length > 0 && finished.every(Boolean)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(stored.length).toBe(name.startsWith('i_') ? 2 : 1);
      for (const id of stored) {
        const rebuilt = (await app.server.inject({ method: 'POST', url: `/api/calls/${id}/rebuild` })).json();
        expect(rebuilt.record, id).toEqual(rebuilt.stored);
        expect(rebuilt.identical, id).toBe(true);
      }
    });
  }
});
