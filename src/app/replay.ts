import type { CallRecord } from '../domain/call.ts';
import { directionPolicy, type DirectionRulesInput } from '../domain/direction.ts';
import type { TenantOf } from '../domain/tenant.ts';
import { AppError, ERROR_CODES } from '../errors.ts';
import { Pipeline } from './pipeline.ts';

// `callflow replay`: runs recorded raw events through the same pipeline, in memory.

export const DEFAULT_DIRECTION_RULES: DirectionRulesInput = {
  inboundContexts: ['from-trunk', 'from-pstn', 'from-external', 'from-did', 'from-sip-external'],
  internalContexts: ['from-internal', 'from-phones', 'default-internal'],
  trunkEndpoints: [],
  extensionPattern: '^\\d{2,5}$',
};

export interface ReplayLine {
  event: Record<string, unknown>;
  receivedAt: Date;
}

/**
 * Reads one line: a raw ARI event, or the recorded `{seq, recv_ts, event}` form. Blank lines give null.
 * Throws AppError(REPLAY_INPUT_INVALID); the caller names the line.
 */
export function parseReplayLine(line: string, fallback: Date): ReplayLine | null {
  const text = line.trim();
  if (text === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError(ERROR_CODES.REPLAY_INPUT_INVALID, "not valid JSON");
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError(ERROR_CODES.REPLAY_INPUT_INVALID, "expected a JSON object");
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.type !== 'string' && typeof obj.event === 'object' && obj.event !== null) {
    const at = typeof obj.recv_ts === 'string' ? new Date(obj.recv_ts) : fallback;
    return { event: obj.event as Record<string, unknown>, receivedAt: Number.isNaN(at.getTime()) ? fallback : at };
  }
  return { event: obj, receivedAt: fallback };
}

export interface ReplayResult {
  calls: CallRecord[];
  invalid: { line: number; message: string }[];
}

/**
 * Replays lines through an in-memory pipeline; returns every call in order of first appearance. `originators`
 * (channel → originator) are what an engine that made the ARI requests itself would have noted; `tenantOf`
 * gives calls their tenant (absent: the default tenant).
 */
export function replayLines(
  lines: Iterable<string>,
  rules: DirectionRulesInput = DEFAULT_DIRECTION_RULES,
  server = 'default',
  originators: ReadonlyMap<string, string> = new Map(),
  tenantOf?: TenantOf,
): ReplayResult {
  const pipeline = new Pipeline({ policy: directionPolicy(rules), tenantOf });
  for (const [channelId, originatorId] of originators) pipeline.registry(server).noteOriginator(channelId, originatorId);
  const invalid: ReplayResult['invalid'] = [];
  const latest = new Map<string, CallRecord>();
  const fallback = new Date();
  let lineNo = 0;
  const absorb = (): void => {
    const drained = pipeline.drain(0);
    for (const m of drained.live) {
      if (m.type === 'call.merged') latest.delete(m.from);
      else latest.set(m.call.id, m.call);
    }
  };
  for (const line of lines) {
    lineNo++;
    let parsed: ReplayLine | null;
    try {
      parsed = parseReplayLine(line, fallback);
    } catch (error) {
      invalid.push({ line: lineNo, message: (error as Error).message });
      continue;
    }
    if (!parsed) continue;
    const result = pipeline.ingestObject(parsed.event, parsed.receivedAt, server);
    if (!result.ok) invalid.push({ line: lineNo, message: result.error.message });
    absorb();
  }
  absorb();
  return { calls: [...latest.values()], invalid };
}

/** Replays raw event texts (one event per string) and returns the resulting call records. */
export function replayRawEvents(lines: Iterable<string>): CallRecord[] {
  return replayLines(lines).calls;
}
