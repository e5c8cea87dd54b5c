import { existsSync, readFileSync } from 'node:fs';

// Asterisk's own records of what happened, written by cel_custom and cdr_custom as JSON lines
// (test/asterisk/config/cel_custom.conf, cdr_custom.conf): the oracle the engine's calls are compared with.

export interface CelEvent {
  eventtype: string;
  /** Seconds since the epoch, microsecond precision. */
  eventtime: number;
  num: string;
  exten: string;
  context: string;
  channame: string;
  appname: string;
  uniqueid: string;
  linkedid: string;
  peer: string;
  eventextra: string;
}

export interface CdrRow {
  src: string;
  dst: string;
  channel: string;
  dstchannel: string;
  /** Seconds since the epoch; 0 when not answered. */
  start: number;
  answer: number;
  end: number;
  disposition: string;
  uniqueid: string;
  linkedid: string;
  sequence: number;
}

function readLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  // A line still being written has no newline yet: leave it for the next read.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export function readCel(path: string): CelEvent[] {
  return readLines<Record<string, unknown>>(path).map((e) => ({ ...(e as unknown as CelEvent), eventtime: Number(e.eventtime) }));
}

export function readCdr(path: string): CdrRow[] {
  return readLines<Record<string, unknown>>(path).map((r) => ({
    ...(r as unknown as CdrRow),
    start: Number(r.start),
    answer: Number(r.answer),
    end: Number(r.end),
    sequence: Number(r.sequence),
  }));
}

/** A position in both files: records after it belong to what the test did since. */
export interface RecordMark {
  cel: number;
  cdr: number;
}

export class AsteriskRecords {
  constructor(
    readonly celPath: string,
    readonly cdrPath: string,
  ) {}

  mark(): RecordMark {
    return { cel: readCel(this.celPath).length, cdr: readCdr(this.cdrPath).length };
  }

  celSince(mark: RecordMark): CelEvent[] {
    return readCel(this.celPath).slice(mark.cel);
  }

  cdrSince(mark: RecordMark): CdrRow[] {
    return readCdr(this.cdrPath).slice(mark.cdr);
  }
}

/**
 * Each channel's linkedid at its last CEL event (CHAN_END, normally): the call Asterisk finally counted it in.
 * LINKEDID_END is left out: it names the linkedid that ended, which need not be its channel's own any more.
 */
export function finalLinkedIds(cel: readonly CelEvent[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const e of cel) if (e.eventtype !== 'LINKEDID_END') last.set(e.uniqueid, e.linkedid);
  return last;
}

/** The channels of each call as CEL tells them: linkedid -> channel uniqueids. */
export function celPartition(cel: readonly CelEvent[]): Map<string, Set<string>> {
  const calls = new Map<string, Set<string>>();
  for (const [channel, linkedid] of finalLinkedIds(cel)) {
    let set = calls.get(linkedid);
    if (!set) calls.set(linkedid, (set = new Set()));
    set.add(channel);
  }
  return calls;
}

/** Every channel that started has ended, and every linkedid CEL opened has its LINKEDID_END. */
export function celComplete(cel: readonly CelEvent[]): boolean {
  const started = new Set(cel.filter((e) => e.eventtype === 'CHAN_START').map((e) => e.uniqueid));
  const ended = new Set(cel.filter((e) => e.eventtype === 'CHAN_END').map((e) => e.uniqueid));
  if (started.size === 0 || [...started].some((id) => !ended.has(id))) return false;
  const linked = new Set(finalLinkedIds(cel).values());
  const linkedEnded = new Set(cel.filter((e) => e.eventtype === 'LINKEDID_END').map((e) => e.linkedid));
  return [...linked].every((id) => linkedEnded.has(id));
}
