import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import type { CallRecord } from '../../../src/domain/call.ts';
import { connectDriver, type AriChannel, type AriDriver } from './ari-driver.ts';
import { ASTERISK_BIN, startAsterisk, type AsteriskInstance } from './asterisk-instance.ts';
import { AsteriskRecords, celComplete, celPartition, type CdrRow, type CelEvent } from './asterisk-records.ts';
import { compareCalls } from './compare-calls.ts';
import { startEngine, type EngineUnderTest } from './engine-app.ts';
import { sippInstalled, stopAllSipp } from './sipp.ts';
import { sleep, until } from './wait.ts';

// One test file's world: a private Asterisk, the engine connected to it, the test's ARI driver, and `scenario`,
// which runs one scenario, waits until Asterisk and the engine are both done with it and compares them.

/** Why the layer is skipped on this machine, or null when it runs. */
export const asteriskSkipReason: string | null = !existsSync(ASTERISK_BIN)
  ? `no Asterisk at ${ASTERISK_BIN} (install: ../shared/asterisk/install.sh)`
  : !sippInstalled()
    ? 'no sipp (apt-get install sip-tester)'
    : null;

/** The describe-block title suffix: the skip reason made visible in the test report. */
export const skipNote = asteriskSkipReason ? ` [skipped: ${asteriskSkipReason}]` : '';

/** Bound for starting (Asterisk boot, a database, the engine connecting) and for stopping it all again. */
const SETUP_TIMEOUT_MS = 150_000;

export const VARIANTS = [
  { linkedidChannelvar: true, title: 'channelvars = CHANNEL(linkedid)' },
  { linkedidChannelvar: false, title: 'no channelvars' },
] as const;

export interface ScenarioOptions {
  /** The number the scenario dialled, per call (by its first channel's CEL record). */
  expectedTo: string | ((first: CelEvent) => string);
  /** Bound for Asterisk to end every channel and the engine to finish every call. */
  settleMs?: number;
}

export interface ScenarioResult {
  cel: CelEvent[];
  cdr: CdrRow[];
  /** CEL's calls: linkedid -> channel uniqueids. */
  celCalls: Map<string, Set<string>>;
  calls: Map<string, CallRecord>;
  /** Differences between the engine and CEL/CDR, one line each (empty when they agree). */
  mismatches: string[];
}

export interface E2E {
  asterisk: AsteriskInstance;
  engine: EngineUnderTest;
  driver: AriDriver;
  sipTarget: string;
  scenario(run: () => Promise<void>, options: ScenarioOptions): Promise<ScenarioResult>;
}

async function liveChannels(driver: AriDriver): Promise<AriChannel[]> {
  return driver.request<AriChannel[]>('GET', '/channels');
}

export function useAsteriskE2E(options: { linkedidChannelvar: boolean }): () => E2E {
  let env: E2E | undefined;
  let asterisk: AsteriskInstance | undefined;
  let engine: EngineUnderTest | undefined;
  let driver: AriDriver | undefined;

  beforeAll(async () => {
    asterisk = await startAsterisk(options);
    engine = await startEngine(asterisk);
    driver = await connectDriver(asterisk.ariUrl, asterisk.ariUser, asterisk.ariPassword);
    const records = new AsteriskRecords(asterisk.celPath, asterisk.cdrPath);
    const [a, e, d] = [asterisk, engine, driver];
    env = {
      asterisk: a,
      engine: e,
      driver: d,
      sipTarget: `127.0.0.1:${a.sipPort}`,
      async scenario(run, scenarioOptions) {
        const settleMs = scenarioOptions.settleMs ?? 60_000;
        const mark = records.mark();
        try {
          await run();
          // Asterisk first: every channel gone, every linkedid closed in CEL, a CDR row for each call.
          await until(async () => (await liveChannels(d)).length === 0, settleMs, 'Asterisk to end every channel');
          await until(() => celComplete(records.celSince(mark)), settleMs, 'CEL to close every channel and linkedid');
          await until(() => {
            const linked = new Set(records.cdrSince(mark).map((r) => r.linkedid));
            return [...celPartition(records.celSince(mark)).keys()].every((l) => linked.has(l));
          }, settleMs, 'a CDR row for every call');
        } catch (err) {
          // Whatever the scenario left behind must not leak into the next one.
          stopAllSipp();
          for (const ch of await liveChannels(d).catch(() => [])) await d.request('DELETE', `/channels/${ch.id}`).catch(() => undefined);
          throw new Error(`${(err as Error).message}\nAsterisk log:\n${a.logTail(20)}`);
        }
        const cel = records.celSince(mark);
        const cdr = records.cdrSince(mark);
        const celCalls = celPartition(cel);
        const channels = [...new Set(cel.map((c) => c.uniqueid))];

        // Then the engine: a call for every channel, each finished; on a timeout compare what there is.
        let callIdOfChannel = new Map<string, string>();
        const calls = new Map<string, CallRecord>();
        const deadline = Date.now() + settleMs;
        for (;;) {
          callIdOfChannel = await e.callIdsOf(channels);
          calls.clear();
          for (const id of new Set(callIdOfChannel.values())) {
            const call = await e.getCall(id);
            if (call) calls.set(id, call);
          }
          const done = callIdOfChannel.size === channels.length && [...calls.values()].every((c) => c.status === 'finished');
          if (done || Date.now() > deadline) break;
          await sleep(200);
        }
        const expectedTo = scenarioOptions.expectedTo;
        const mismatches = compareCalls({
          cel,
          cdr,
          callIdOfChannel,
          calls,
          expectedTo: typeof expectedTo === 'string' ? () => expectedTo : expectedTo,
        });
        return { cel, cdr, celCalls, calls, mismatches };
      },
    };
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    stopAllSipp();
    const steps = [() => driver?.close(), () => engine?.stop(), () => asterisk?.stop()];
    const errors: unknown[] = [];
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }, SETUP_TIMEOUT_MS);

  return () => {
    if (!env) throw new Error('useAsteriskE2E: the environment is only available inside tests');
    return env;
  };
}
