import type { CallRecord } from '../../../src/domain/call.ts';
import type { AriChannel, AriDriver } from './ari-driver.ts';
import { celComplete, celPartition, type AsteriskRecords, type CdrRow, type CelEvent, type RecordMark } from './asterisk-records.ts';
import { compareCalls } from './compare-calls.ts';
import { stopAllSipp } from './sipp.ts';
import { sleep, until } from './wait.ts';

// The end of a scenario: wait until Asterisk is done (every channel gone, CEL closed, a CDR row per call), then
// until the engine has finished a call for every channel, and compare the two.

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

/** What the comparison needs of the engine. */
export interface EngineRecords {
  callIdsOf(channelIds: readonly string[]): Promise<Map<string, string>>;
  getCall(id: string): Promise<CallRecord | null>;
}

export interface SettleInput extends ScenarioOptions {
  records: AsteriskRecords;
  /** Where the scenario began in Asterisk's records. */
  mark: RecordMark;
  driver: AriDriver;
  engine: EngineRecords;
  asterisk: { logTail(lines?: number): string };
  /** Whether the engine sees linkedids (channelvars = CHANNEL(linkedid)); default yes. */
  linkedidVisible?: boolean;
}

async function liveChannels(driver: AriDriver): Promise<AriChannel[]> {
  return driver.request<AriChannel[]>('GET', '/channels');
}

/** Whatever a failed scenario left behind must not leak into the next one. */
export async function clearLeftovers(driver: AriDriver): Promise<void> {
  stopAllSipp();
  for (const ch of await liveChannels(driver).catch(() => [])) await driver.request('DELETE', `/channels/${ch.id}`).catch(() => undefined);
}

export async function settleScenario(input: SettleInput): Promise<ScenarioResult> {
  const { records, mark, driver, engine } = input;
  const settleMs = input.settleMs ?? 60_000;
  try {
    await until(async () => (await liveChannels(driver)).length === 0, settleMs, 'Asterisk to end every channel');
    await until(() => celComplete(records.celSince(mark)), settleMs, 'CEL to close every channel and linkedid');
    await until(() => {
      const linked = new Set(records.cdrSince(mark).map((r) => r.linkedid));
      return [...celPartition(records.celSince(mark)).keys()].every((l) => linked.has(l));
    }, settleMs, 'a CDR row for every call');
  } catch (err) {
    await clearLeftovers(driver);
    throw new Error(`${(err as Error).message}\nAsterisk log:\n${input.asterisk.logTail(20)}`);
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
    callIdOfChannel = await engine.callIdsOf(channels);
    calls.clear();
    for (const id of new Set(callIdOfChannel.values())) {
      const call = await engine.getCall(id);
      if (call) calls.set(id, call);
    }
    // Every call read, and finished: a call merged away between the two reads leaves an id that reads as none.
    const ids = new Set(callIdOfChannel.values());
    const done = callIdOfChannel.size === channels.length && [...ids].every((id) => calls.get(id)?.status === 'finished');
    if (done || Date.now() > deadline) break;
    await sleep(200);
  }
  const expectedTo = input.expectedTo;
  const mismatches = compareCalls({
    cel,
    cdr,
    callIdOfChannel,
    calls,
    expectedTo: typeof expectedTo === 'string' ? () => expectedTo : expectedTo,
    linkedidVisible: input.linkedidVisible ?? true,
  });
  return { cel, cdr, celCalls, calls, mismatches };
}
