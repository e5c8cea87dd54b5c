import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { connectDriver, type AriDriver } from './ari-driver.ts';
import { ASTERISK_BIN, startAsterisk, type AsteriskInstance } from './asterisk-instance.ts';
import { AsteriskRecords } from './asterisk-records.ts';
import { startEngine, type EngineUnderTest } from './engine-app.ts';
import { clearLeftovers, settleScenario, type ScenarioOptions, type ScenarioResult } from './settle.ts';
import { sippInstalled, stopAllSipp } from './sipp.ts';

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

export type { ScenarioOptions, ScenarioResult };

export interface E2E {
  asterisk: AsteriskInstance;
  engine: EngineUnderTest;
  driver: AriDriver;
  sipTarget: string;
  scenario(run: () => Promise<void>, options: ScenarioOptions): Promise<ScenarioResult>;
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
        const mark = records.mark();
        try {
          await run();
        } catch (err) {
          await clearLeftovers(d);
          throw err;
        }
        return settleScenario({ records, mark, driver: d, engine: e, asterisk: a, linkedidVisible: options.linkedidChannelvar, ...scenarioOptions });
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
