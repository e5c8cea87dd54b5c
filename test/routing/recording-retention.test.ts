import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/app/logger.ts';
import type { AriRest } from '../../src/ari/rest.ts';
import { RoutingStore } from '../../src/routing/objects/routing-store.ts';
import { RecordingStore } from '../../src/routing/recordings/recording-store.ts';
import { RoutingService } from '../../src/routing/runtime/routing-service.ts';
import { openTestStore, storeKinds, type TestStore } from '../support/test-store.ts';

// Call recordings past their retention go: the file on every Asterisk first, then the row. A recording whose
// file could not be deleted (a server that does not answer) stays listed and is tried again at the next sweep.

const DAY = 86_400_000;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function fakeAsterisk(failing: Set<string>): { rest: AriRest; deleted: string[] } {
  const deleted: string[] = [];
  const rest = {
    deleteStoredRecording: async (name: string) => {
      if (failing.has(name)) throw new Error('ARI DELETE failed: 500');
      deleted.push(name);
      return true;
    },
  } as unknown as AriRest;
  return { rest, deleted };
}

describe.each(storeKinds())('call recording retention (%s)', (kind) => {
  async function setUp(retentionDays: number): Promise<{ db: TestStore; recordings: RecordingStore; service: RoutingService }> {
    const db = await openTestStore(kind);
    closers.push(() => db.close());
    const recordings = new RecordingStore(db.store.sql);
    const service = new RoutingService({
      store: new RoutingStore(db.store.sql),
      logger: silentLogger(),
      dataDir: 'memory://retention',
      secretsKey: Buffer.alloc(32, 7),
      mediaBaseUrl: () => 'http://127.0.0.1:1',
      ingest: () => undefined,
      recordings,
      recordingRetentionDays: retentionDays,
    });
    closers.push(() => service.close());
    return { db, recordings, service };
  }

  async function add(recordings: RecordingStore, db: TestStore, id: string, ageDays: number, now: number): Promise<void> {
    await recordings.add({ id, tenantId: 'default', server: 'pbx', channelId: `${id}-caller`, from: '+15550100', policy: 'number', durationS: 12, startedAt: new Date(now).toISOString() });
    await db.store.sql.query('UPDATE call_recordings SET created_at = $2 WHERE id = $1', [id, new Date(now - ageDays * DAY).toISOString()]);
  }

  it('deletes what is older than the retention, file then row, and keeps what it could not delete for the next sweep', async () => {
    const now = Date.now();
    const { db, recordings, service } = await setUp(30);
    const failing = new Set(['stuck']);
    const pbx = fakeAsterisk(failing);
    service.runtimeFor('pbx', pbx.rest, 'callflow');
    await add(recordings, db, 'old', 31, now);
    await add(recordings, db, 'stuck', 40, now);
    await add(recordings, db, 'young', 29, now);

    expect(await service.sweepRecordings(now)).toBe(1);
    expect(pbx.deleted).toEqual(['old']);
    expect((await recordings.list('default')).map((r) => r.id).sort()).toEqual(['stuck', 'young']);

    failing.clear();
    expect(await service.sweepRecordings(now)).toBe(1);
    expect((await recordings.list('default')).map((r) => r.id)).toEqual(['young']);
  });

  it('keeps everything with a retention of 0 days', async () => {
    const now = Date.now();
    const { db, recordings, service } = await setUp(0);
    await add(recordings, db, 'ancient', 3_650, now);
    expect(await service.sweepRecordings(now)).toBe(0);
    expect((await recordings.list('default')).map((r) => r.id)).toEqual(['ancient']);
  });
});
