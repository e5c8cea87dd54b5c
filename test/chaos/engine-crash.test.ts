import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { connectDriver, type AriDriver } from '../asterisk/support/ari-driver.ts';
import { startAsterisk, type AsteriskInstance } from '../asterisk/support/asterisk-instance.ts';
import { AsteriskRecords } from '../asterisk/support/asterisk-records.ts';
import { asteriskSkipReason } from '../asterisk/support/e2e-env.ts';
import { SERVER_NAME } from '../asterisk/support/engine-app.ts';
import { settleScenario } from '../asterisk/support/settle.ts';
import { runSipp, stopAllSipp, type SippRun } from '../asterisk/support/sipp.ts';
import { until } from '../asterisk/support/wait.ts';
import { PrivatePostgres, privatePostgresUnavailable } from '../support/private-postgres.ts';
import { engineProcess, type EngineProcess } from './support/engine-process.ts';

// The engine is killed (SIGKILL) with calls up. While it is down, some of those calls end and others start and
// end. Started again, it learns the window it missed from the store (the engine_down gap), rebuilds that window
// from Asterisk's CEL (cel_custom JSON lines) and resyncs: every call, those it never saw included, then matches
// Asterisk's CEL and CDR, and the calls it could only know from CEL are marked backfilled.

const skipReason = asteriskSkipReason ?? privatePostgresUnavailable();
const note = skipReason ? ` [skipped: ${skipReason}]` : '';

async function upChannels(driver: AriDriver): Promise<number> {
  return (await driver.request<{ state: string }[]>('GET', '/channels')).filter((c) => c.state === 'Up').length;
}

async function expectPassed(run: SippRun, what: string): Promise<void> {
  const { code, output } = await run.done;
  if (code !== 0) throw new Error(`${what}: sipp exited ${code}\n${output.slice(-2000)}`);
}

describe.skipIf(skipReason !== null)(`chaos: the engine is killed with calls up${note}`, () => {
  it('kill -9, calls end and come and go while it is down: after its restart and the CEL backfill every call is right', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callflow-chaos-engine-'));
    let postgres: PrivatePostgres | undefined;
    let asterisk: AsteriskInstance | undefined;
    let engine: EngineProcess | undefined;
    let driver: AriDriver | undefined;
    let reader: SqlStore | undefined;
    try {
      postgres = await PrivatePostgres.create();
      asterisk = await startAsterisk({ linkedidChannelvar: true });
      const servers = [{ name: SERVER_NAME, url: asterisk.ariUrl, username: asterisk.ariUser, password: asterisk.ariPassword, cel: { jsonl: asterisk.celPath, marginMs: 5_000 } }];
      engine = await engineProcess({ ARI_SERVERS: JSON.stringify(servers), DATABASE_URL: postgres.url(), CALLFLOW_DATA_DIR: dataDir });
      await engine.start();
      const ast = asterisk;
      await until(async () => (await ast.cli('ari show apps')).includes('callflow'), 60_000, 'the engine to connect to ARI');
      driver = await connectDriver(asterisk.ariUrl, asterisk.ariUser, asterisk.ariPassword);
      const records = new AsteriskRecords(asterisk.celPath, asterisk.cdrPath);
      const mark = records.mark();
      const target = `127.0.0.1:${asterisk.sipPort}`;
      const uac = (calls: number, holdMs: number) =>
        runSipp({ scenario: { builtin: 'uac' }, service: '301', target, calls, extra: ['-d', String(holdMs), '-r', '10', '-l', String(calls)], timeoutMs: holdMs + 60_000 });

      // Three calls that outlast the outage, three that end inside it; all answered before the kill.
      const spanning = await uac(3, 25_000);
      const endingInside = await uac(3, 5_000);
      const d = driver;
      await until(async () => (await upChannels(d)) >= 12, 60_000, 'six calls up');
      await engine.kill();

      // While the engine is down: three answered calls and a busy one come and go.
      const inside = await uac(3, 1_000);
      const busy = await runSipp({ scenario: { file: 'uac_refused.xml' }, service: '302', target, calls: 1, timeoutMs: 30_000 });
      await expectPassed(inside, 'calls inside the outage');
      await expectPassed(busy, 'a busy call inside the outage');
      await expectPassed(endingInside, 'calls ending inside the outage');

      await engine.start();
      await until(async () => (await ast.cli('ari show apps')).includes('callflow'), 60_000, 'the engine to reconnect');
      await expectPassed(spanning, 'calls spanning the outage');

      reader = await openStore({ url: postgres.url(), dataDir: 'memory://' });
      const store = reader;
      const result = await settleScenario({
        records,
        mark,
        driver,
        asterisk,
        engine: { callIdsOf: (ids) => store.callIdsOfChannels(SERVER_NAME, [...ids]), getCall: (id) => store.getCall(id) },
        expectedTo: (first) => (first.exten === '302' ? '302' : '301'),
        settleMs: 120_000,
      });
      expect(result.celCalls.size).toBe(10);
      // The mismatches in the message: the default diff shows only their count.
      expect(result.mismatches, JSON.stringify(result.mismatches).slice(0, 4_000)).toEqual([]);
      // The four calls that came and went while the engine was down exist only thanks to CEL.
      const backfilled = [...result.calls.values()].filter((c) => c.backfilled);
      expect(backfilled.length).toBeGreaterThanOrEqual(4);
      expect([...result.calls.values()].filter((c) => c.disposition === 'busy')).toHaveLength(1);
      const gaps = await store.listGaps(SERVER_NAME, null, 10);
      expect(gaps.map((g) => g.reason)).toContain('engine_down');
    } catch (err) {
      throw new Error(`${(err as Error).message}\nengine log:\n${engine?.logTail(40) ?? ''}`);
    } finally {
      stopAllSipp();
      await reader?.close().catch(() => undefined);
      await driver?.close().catch(() => undefined);
      await engine?.stop().catch(() => undefined);
      await asterisk?.stop().catch(() => undefined);
      await postgres?.destroy().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 360_000);
});
