import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/compose.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { planBackfill } from '../../src/cel/backfill-events.ts';
import { parseCelLine, type CelRecord } from '../../src/cel/cel-record.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { CallRecord } from '../../src/domain/call.ts';
import { until } from '../support/app-against-asterisk.ts';
import { FakeAsterisk } from '../support/fake-asterisk.ts';
import { traceEvents } from '../support/fixtures.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/test-store.ts';

// Calls that start and end while the engine is stopped, or while its events socket is down, are rebuilt from
// Asterisk's CEL (cel_custom JSON lines written by a real Asterisk 22, test/fixtures/cel, moved in time into
// the gap); a call the engine saw start ends with the hangup CEL recorded. Each is stored once, marked
// backfilled, sent to the outbox once, reproduced by rebuild, and a second backfill of the window adds nothing.

const FIXTURE_START: Record<string, number> = {
  answered: 1796508058.793538,
  busy: 1796508063.413151,
  'caller-cancel': 1796508064.426348,
  'no-answer': 1796508070.085436,
};

/** A fixture's CEL lines with its first row at `startMs`, ids renamed by `rename`. */
function celLines(name: string, startMs: number, rename: (id: string) => string = (id) => id): string[] {
  const shift = startMs / 1000 - FIXTURE_START[name]!;
  const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'cel', `${name}.jsonl`), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const row = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify({ ...row, eventtime: (row.eventtime as number) + shift, uniqueid: rename(row.uniqueid as string), linkedid: rename(row.linkedid as string) });
    });
}

const rows = (lines: readonly string[]): CelRecord[] => lines.map(parseCelLine).filter((r): r is CelRecord => r !== null);
const iso = (row: CelRecord | undefined): string => new Date(row!.atMs).toISOString();

/** One test group's world: a fake Asterisk, a CEL file beside it, and engines started on one database. */
interface CelEngine {
  pbx: FakeAsterisk;
  readonly celFile: string;
  start(): Promise<App>;
}

function useCelEngine(prefix: string, options: { env?: Record<string, string>; emptyFile?: boolean } = {}): CelEngine {
  const pbx = new FakeAsterisk({ username: 'u', password: 'cel-secret' });
  const at = { dir: '', celFile: '', url: '', db: null as TestDatabase | null };
  beforeAll(async () => {
    at.url = (await pbx.start()).url;
    at.dir = mkdtempSync(join(tmpdir(), prefix));
    at.celFile = join(at.dir, 'cel.jsonl');
    if (options.emptyFile !== false) writeFileSync(at.celFile, '');
    at.db = postgresUrl ? await createPostgresDatabase() : null;
  });
  afterAll(async () => {
    await pbx.stop();
    await at.db?.drop();
    rmSync(at.dir, { recursive: true, force: true });
  });
  return {
    pbx,
    get celFile() {
      return at.celFile;
    },
    async start() {
      const config = loadConfig({
        env: {
          ARI_SERVERS: JSON.stringify([{ name: 'pbx', url: at.url, username: 'u', password: 'cel-secret', cel: { jsonl: at.celFile } }]),
          CALLFLOW_DATA_DIR: join(at.dir, 'data'),
          ...options.env,
          ...(at.db ? { DATABASE_URL: at.db.url } : {}),
        },
        flags: { http: { host: '127.0.0.1', port: 0 } },
      });
      const app = await createApp(config, silentLogger());
      await app.start();
      return app;
    },
  };
}

describe('backfill from CEL', () => {
  // Deliveries are planned into the outbox; nobody listens there, so they stay put to be counted.
  const world = useCelEngine('callflow-cel-', { env: { WEBHOOK_URLS: 'http://127.0.0.1:9/hook', WEBHOOK_SECRET: 'cel-backfill-test-secret-0123456789' } });
  const { pbx } = world;
  const start = (): Promise<App> => world.start();

  const gaps = async (app: App) => (await app.server.inject({ method: 'GET', url: '/api/gaps?server=pbx' })).json().items as any[];
  const outbox = async (app: App, callId: string) =>
    (await app.store.sql.query<{ event_type: string; n: number }>('SELECT event_type, count(*)::int AS n FROM outbox WHERE call_id = $1 GROUP BY event_type ORDER BY event_type', [callId])).map(
      (r) => `${r.event_type}:${Number(r.n)}`,
    );

  it('rebuilds the calls of an engine outage and of a dropped socket, once', async () => {
    // Run 1 sees the answered call's channels start, then stops.
    const first = await start();
    await pbx.waitForConnection(1);
    const base = Date.now();
    const answered = celLines('answered', base);
    const started = planBackfill(rows(answered).filter((r) => r.eventType === 'CHAN_START'), new Map()).events.map(({ callflow_source: _s, cel_event: _c, ...ari }) => ari);
    // Alive for the resync of run 1's connection, which may run after these events arrive.
    pbx.setLiveChannels(started.map((e) => e.channel as never));
    pbx.send(started);
    await until(async () => (await first.store.getCall('1796508058.0'))?.status === 'ringing', 20_000, 'the ringing call');
    await first.stop();
    const stoppedAt = Date.now();
    pbx.setLiveChannels([]);

    // Meanwhile Asterisk answers and ends it, and three more calls come and go; CEL also holds two broken lines.
    const lines = [
      ...answered,
      '{"eventtype":"ANSWER", broken',
      ...celLines('busy', stoppedAt + 1),
      JSON.stringify({ eventtype: 'HANGUP', eventtime: base / 1000, linkedid: 'x' }),
      ...celLines('caller-cancel', stoppedAt + 2),
      ...celLines('no-answer', stoppedAt + 3),
    ];
    writeFileSync(world.celFile, `${lines.join('\n')}\n`);
    const cel = rows(lines.filter((l) => !l.includes('broken') && !l.includes('"linkedid":"x"')));
    const of = (uniqueid: string, type: string) => cel.find((r) => r.uniqueId === uniqueid && r.eventType === type);

    const second = await start();
    await until(async () => (await gaps(second)).some((g) => g.reason === 'engine_down' && g.backfilledAt !== null), 20_000, 'the backfill of the outage');
    const gap = (await gaps(second)).find((g) => g.reason === 'engine_down');
    expect(gap.backfill).toEqual({ rows: cel.length, invalid: 2, newChannels: 3 + 4 + 3, correctedChannels: 3, calls: 4 });

    const expected: Record<string, Partial<CallRecord>> = {
      '1796508058.0': {
        disposition: 'answered', from: 'sipp', to: '301', startedAt: iso(of('1796508058.0', 'CHAN_START')), answeredAt: iso(of('1796508058.0', 'ANSWER')),
        endedAt: iso(of('1796508058.0', 'HANGUP')), hangupCause: 16, closedBy: 'hangup', endEstimated: false,
      },
      '1796508063.3': { disposition: 'busy', from: 'sipp', to: '302', startedAt: iso(of('1796508063.3', 'CHAN_START')), answeredAt: null, endedAt: iso(of('1796508063.3', 'HANGUP')) },
      cancelme: { disposition: 'cancelled', from: '5557000', to: '303', startedAt: iso(of('cancelme', 'CHAN_START')), answeredAt: null, endedAt: iso(of('1796508064.9', 'HANGUP')) },
      '1796508070.10': { disposition: 'no_answer', from: 'sipp', to: '303', startedAt: iso(of('1796508070.10', 'CHAN_START')), answeredAt: null, endedAt: iso(of('1796508070.10', 'HANGUP')) },
    };
    const eventCounts = new Map<string, number>();
    for (const [id, fields] of Object.entries(expected)) {
      const call = (await second.store.getCall(id))!;
      expect({ id, status: call.status, backfilled: call.backfilled, ...pick(call, fields) }).toEqual({ id, status: 'finished', backfilled: true, ...fields });
      const stored = await second.store.getEvents(id);
      expect(stored.length).toBe(call.eventCount);
      if (id !== '1796508058.0') expect(stored.every((e) => (e.event as { callflow_source?: string }).callflow_source === 'cel')).toBe(true);
      eventCounts.set(id, call.eventCount);
      expect((await second.engine.rebuild(id)).identical).toBe(true);
      await until(async () => (await outbox(second, id)).includes('call.finished:1'), 10_000, `the delivery of ${id}`);
    }
    expect(await outbox(second, '1796508058.0')).toEqual(['call.answered:1', 'call.created:1', 'call.finished:1']);
    expect(await outbox(second, '1796508063.3')).toEqual(['call.created:1', 'call.finished:1']);
    for (const id of Object.keys(expected)) expect((await outbox(second, id)).every((e) => e.endsWith(':1'))).toBe(true);
    const metrics = (await second.server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^callflow_cel_rows_invalid_total\{server="pbx"\} 2$/m);
    expect(metrics).toMatch(/^callflow_cel_backfilled_channels_total\{server="pbx",kind="new"\} 10$/m);

    // The socket drops; a call happens before it is back.
    const outboxBefore = new Map<string, string[]>();
    for (const id of Object.keys(expected)) outboxBefore.set(id, await outbox(second, id));
    pbx.refuseConnections(true);
    pbx.dropConnections();
    await until(() => pbx.openConnectionCount === 0, 10_000, 'the socket to drop');
    const renamed = (id: string) => id.replace('1796508063', '1796509999');
    const dropped = celLines('busy', Date.now() + 50, renamed);
    appendFileSync(world.celFile, `${dropped.join('\n')}\n`);
    await new Promise((r) => setTimeout(r, 300));
    pbx.refuseConnections(false);
    await until(async () => (await gaps(second)).some((g) => g.reason === 'disconnected' && g.backfilledAt !== null), 30_000, 'the backfill of the dropped socket');
    const busy = (await second.store.getCall('1796509999.3'))!;
    expect({ status: busy.status, disposition: busy.disposition, backfilled: busy.backfilled, endedAt: busy.endedAt }).toEqual({
      status: 'finished',
      disposition: 'busy',
      backfilled: true,
      endedAt: iso(rows(dropped).find((r) => r.uniqueId === '1796509999.3' && r.eventType === 'HANGUP')),
    });
    expect((await second.engine.rebuild('1796509999.3')).identical).toBe(true);
    await second.stop();

    // A third run's gap covers the same CEL rows again: nothing is added, nothing sent twice.
    const third = await start();
    await until(async () => (await gaps(third)).filter((g) => g.reason === 'engine_down' && g.backfilledAt !== null).length === 2, 20_000, 'the second outage backfill');
    const again = (await gaps(third)).find((g) => g.reason === 'engine_down');
    expect(again.backfill).toMatchObject({ newChannels: 0, correctedChannels: 0, calls: 0 });
    for (const [id, count] of eventCounts) {
      expect((await third.store.getCall(id))!.eventCount).toBe(count);
      expect(await outbox(third, id)).toEqual(outboxBefore.get(id));
    }
    expect((await third.store.listCalls({}, null, 50)).items).toHaveLength(5);
    await third.stop();
  }, 120_000);
});

function pick(call: CallRecord, fields: Partial<CallRecord>): Partial<CallRecord> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) out[key] = call[key as keyof CallRecord];
  return out as Partial<CallRecord>;
}

describe('backfill from CEL after the stale-call sweep', () => {
  const world = useCelEngine('callflow-cel-sweep-', { env: { CALLS_DISCONNECTED_GRACE_MS: '1000', CALLS_SWEEP_INTERVAL_MS: '100' } });
  const { pbx } = world;
  const start = (): Promise<App> => world.start();

  it('replaces the end the sweep estimated, for a call no longer held in memory', async () => {
    const first = await start();
    await pbx.waitForConnection(1);
    // The call started 4.5 s ago; Asterisk gives up on it 0.5 s from now, after the socket has dropped.
    const lines = celLines('no-answer', Date.now() - 4_500);
    const cel = rows(lines);
    const started = planBackfill(cel.filter((r) => r.eventType === 'CHAN_START'), new Map()).events.map(({ callflow_source: _s, cel_event: _c, ...ari }) => ari);
    pbx.setLiveChannels(started.map((e) => e.channel as never));
    pbx.send(started);
    await until(async () => (await first.store.getCall('1796508070.10'))?.status === 'ringing', 20_000, 'the ringing call');
    pbx.refuseConnections(true);
    pbx.dropConnections();
    await until(async () => (await first.store.getCall('1796508070.10'))?.closedBy === 'stale', 20_000, 'the sweep to close the call');
    await first.stop();
    pbx.setLiveChannels([]);
    pbx.refuseConnections(false);
    writeFileSync(world.celFile, `${lines.join('\n')}\n`);

    // The next run does not hold the finished call; the backfill brings it back and ends it as CEL says.
    const second = await start();
    await until(async () => (await (await second.server.inject({ method: 'GET', url: '/api/gaps?server=pbx' })).json()).items.some((g: any) => g.backfilledAt !== null), 20_000, 'the backfill');
    const call = (await second.store.getCall('1796508070.10'))!;
    expect({ status: call.status, closedBy: call.closedBy, endEstimated: call.endEstimated, endedAt: call.endedAt, disposition: call.disposition, backfilled: call.backfilled, legs: call.legs.length }).toEqual({
      status: 'finished',
      closedBy: 'hangup',
      endEstimated: false,
      endedAt: iso(cel.find((r) => r.uniqueId === '1796508070.10' && r.eventType === 'HANGUP')),
      disposition: 'no_answer',
      backfilled: true,
      legs: 3,
    });
    expect((await second.engine.rebuild('1796508070.10')).identical).toBe(true);
    expect((await second.store.listCalls({}, null, 10)).items).toHaveLength(1);
    await second.stop();
  }, 90_000);
});

describe('backfill from CEL retried', () => {
  const world = useCelEngine('callflow-cel-retry-', { emptyFile: false });
  const { pbx } = world;
  const start = (): Promise<App> => world.start();

  const gaps = async (app: App) => (await app.server.inject({ method: 'GET', url: '/api/gaps?server=pbx' })).json().items as any[];

  it('backfills at the next connection a gap whose CEL could not be read', async () => {
    const first = await start();
    await pbx.waitForConnection(1);
    pbx.send(traceEvents('d1_dial_busy'));
    await until(async () => (await first.store.getCall('1795234271.10'))?.status === 'finished', 20_000, 'a call of the first run');
    await first.stop();
    const stoppedAt = Date.now();

    // The CEL file is not there yet: the outage's backfill fails, counted, and the gap stays without one.
    const second = await start();
    await until(
      async () => /^callflow_cel_backfills_failed_total\{server="pbx"\} 1$/m.test((await second.server.inject({ method: 'GET', url: '/metrics' })).body),
      20_000,
      'the failed backfill',
    );
    const [failed] = await gaps(second);
    expect({ reason: failed.reason, backfilledAt: failed.backfilledAt, backfill: failed.backfill }).toEqual({ reason: 'engine_down', backfilledAt: null, backfill: null });
    await second.stop();

    writeFileSync(world.celFile, `${celLines('busy', stoppedAt + 1).join('\n')}\n`);
    const third = await start();
    await until(async () => (await gaps(third)).length === 2 && (await gaps(third)).every((g) => g.backfilledAt !== null), 20_000, 'both gaps backfilled');
    const [latest, earlier] = await gaps(third);
    expect(earlier.id).toBe(failed.id);
    expect(earlier.backfill).toMatchObject({ newChannels: 3, calls: 1 });
    expect(latest.backfill).toMatchObject({ newChannels: 0, correctedChannels: 0 });
    const busy = (await third.store.getCall('1796508063.3'))!;
    expect({ status: busy.status, disposition: busy.disposition, backfilled: busy.backfilled }).toEqual({ status: 'finished', disposition: 'busy', backfilled: true });
    await third.stop();
  }, 90_000);
});
